"""Admin pages: listings of users, agents (with skills) and queues; customer CSV import; card layouts."""
from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from records.models import Agent, AgentSkill, Queue, User
from web.extensions import db
from web.roles import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@role_required("admin")
def users():
    from web.admin_users import users_page

    return users_page()


@bp.post("/users/<int:user_id>/monitor-extension")
@role_required("admin")
def set_monitor_extension(user_id: int):
    """The one phone a supervisor without an agent phone monitors from (web/api_supervisor.py).
    Another agent's phone is refused: listen audio must not reach someone else's desk."""
    from web.api_supervisor import EXTENSION
    from web.audit import audit

    user = db.session.get(User, user_id)
    if user is None:
        return _("No such user."), 404
    extension = request.form.get("extension", "").strip()[:32] or None
    if extension is not None and not EXTENSION.match(extension):
        return _("An extension may only contain letters, digits and + _ . -"), 400
    owner = db.session.scalar(select(Agent).where(Agent.extension == extension)) if extension else None
    if owner is not None and owner.id != user.agent_id:
        return _("Extension %(ext)s is agent %(agent)s's phone.", ext=extension, agent=owner.id), 409
    audit("user.monitor_extension", f"user:{user.username}", before=user.monitor_extension, after=extension)
    user.monitor_extension = extension
    db.session.commit()
    return redirect(url_for("admin.users"))


@bp.get("/agents")
@role_required("admin")
def agents():
    rows = db.session.scalars(select(Agent).options(selectinload(Agent.skills).selectinload(AgentSkill.skill))
                              .order_by(Agent.position, Agent.id)).all()
    return render_template("admin/agents.html", agents=rows)


@bp.get("/queues")
@role_required("admin")
def queues():
    rows = db.session.scalars(select(Queue).order_by(Queue.name)).all()
    return render_template("admin/queues.html", queues=rows)


@bp.get("/audit")
@role_required("admin")
def audit_log():
    from web.audit import AuditFilter, BadFilter, audit, page_of

    try:
        flt = AuditFilter.from_args(request.args)
    except BadFilter as exc:
        return render_template("admin/audit.html", entries=[], flt=AuditFilter(), more=False, error=str(exc)), 400
    rows, more = page_of(flt)
    audit("audit.view", None, filter=flt.args())
    db.session.commit()
    return render_template("admin/audit.html", entries=rows, flt=flt, more=more, error=None)


@bp.get("/audit.csv")
@role_required("admin")
def audit_csv():
    from web.audit import AuditFilter, BadFilter, audit, csv_lines

    try:
        flt = AuditFilter.from_args(request.args)
    except BadFilter as exc:
        return Response(str(exc) + "\n", status=400, mimetype="text/plain")
    body = "".join(csv_lines(flt))
    audit("audit.export", None, filter=flt.args())
    db.session.commit()
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="hotline-audit.csv"'})


MAX_UPLOAD = 5 * 1024 * 1024


@bp.route("/import", methods=["GET", "POST"])
@role_required("admin")
def import_customers_page():
    from records.importer import import_customers
    from web.audit import audit
    from web.live import config

    report, error = None, None
    if request.method == "POST":
        upload = request.files.get("file")
        if request.content_length and request.content_length > MAX_UPLOAD + 10_000:
            error = _("The file is larger than 5 MB.")
        elif upload is None or not upload.filename:
            error = _("Choose a CSV file.")
        else:
            try:
                report = import_customers(db.session, upload.read(MAX_UPLOAD + 1)[:MAX_UPLOAD],
                                          config().default_region)
            except ValueError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                audit("customer.import", f"file:{upload.filename[:100]}", created=report.created,
                      updated=report.updated, merged=report.merged, rejected=len(report.rejected))
                db.session.commit()
    return render_template("admin/import.html", report=report, error=error), (400 if error else 200)


@bp.route("/card", methods=["GET", "POST"])
@role_required("admin")
def card_layouts():
    from records.card_models import CardLayout
    from web import card_layout
    from web.audit import audit
    from web.queue_rules import queue_rules
    from web.roles import LEVELS

    error = None
    if request.method == "POST":
        role, queue = request.form.get("role", ""), request.form.get("queue", "").strip()[:64]
        raw = [f.strip() for f in request.form.get("fields", "").replace(";", ",").split(",") if f.strip()]
        if role not in LEVELS:
            error = _("Unknown role.")
        elif request.form.get("delete"):
            if card_layout.remove(db.session, role, queue):
                audit("card_layout.delete", f"card:{role}:{queue or '*'}")
            db.session.commit()
            return redirect(url_for("admin.card_layouts"))
        else:
            try:
                row = card_layout.save(db.session, role, queue, raw, current_user.username)
            except ValueError as exc:
                error = str(exc)
            else:
                audit("card_layout.save", f"card:{role}:{queue or '*'}", fields=row.fields)
                db.session.commit()
                return redirect(url_for("admin.card_layouts"))
    rows = db.session.scalars(select(CardLayout).order_by(CardLayout.role, CardLayout.queue)).all()
    queues = sorted(set(queue_rules()) | set(db.session.scalars(select(Queue.name))))
    return render_template("admin/card.html", layouts=rows, roles=list(LEVELS), queues=queues,
                           fields=card_layout.FIELDS, default=card_layout.DEFAULT, error=error), \
        (400 if error else 200)
