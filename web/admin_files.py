"""Admin: queues, IVR flows and the DID map edited in the console (control/config_edit.py).

The editor shows the YAML with line-numbered problems, exactly as `hotline check` reports them,
and (for a flow) its graph; both follow the text as the admin types (POST .../check). A file is
saved only when the whole configuration is valid with it, and not over a change someone else
saved meanwhile. Every save is audited with its diff.
"""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from control import config_edit
from control.config_edit import ConfigFile, Stale
from records import agent_admin
from records.agents import to_live
from web.audit import audit
from web.extensions import db
from web.flow_view import layout
from web.live import config
from web.roles import role_required

bp = Blueprint("admin_files", __name__, url_prefix="/admin/files")

NEW_QUEUE = """# A queue (docs/routing.md). Every key is checked as `hotline check` checks it.
queues:
  {name}:
    strategy: longest-idle-agent
    requirements: {{english: 1}}
    ring_timeout_s: 15
    wrap_up_s: 30
"""
NEW_FLOW = """# An IVR flow (docs/ivr.md). Map a number to it in the DID map (dids).
name: {name}
languages: [en]
prompts:
  hello: {{en: "Welcome."}}
nodes:
  hello: {{type: play, prompt: hello, next: queue}}
  queue: {{type: queue, queue: support}}
"""


@bp.get("/")
@role_required("admin")
def index():
    return render_template("admin/files.html", files=config_edit.listing(config()))


@bp.get("/new")
@role_required("admin")
def new():
    kind, name = request.args.get("kind", ""), request.args.get("name", "").strip()
    try:
        config_edit.parse(kind, name)
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin_files.index"))
    return redirect(url_for("admin_files.edit", kind=kind, name=name))


@bp.get("/<kind>/<name>")
@role_required("admin")
def edit(kind: str, name: str):
    file = _file(kind, name)
    text = config_edit.read(config(), file)
    opened = config_edit.version(text)
    if text is None:
        text = (NEW_QUEUE if kind == "queues" else NEW_FLOW).format(name=name)
    checked = config_edit.check(config(), file, text, _agents())
    return _page(file, text, opened, checked)


@bp.post("/<kind>/<name>/check")
@role_required("admin")
def live_check(kind: str, name: str):
    file = _file(kind, name)
    checked = config_edit.check(config(), file, request.form.get("text", ""), _agents())
    return jsonify(problems=[str(p) for p in checked.problems],
                   graph=render_template("admin/_flow_graph.html", graph=_graph(file, checked), name=name))


@bp.post("/flows/<name>/test")
@role_required("admin")
def test_flow(name: str):
    """The flow as typed, walked with a scripted caller (control/ivr/dry_run.py): the steps and path."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from control.ivr.dry_run import dry_run

    file = _file("flows", name)
    checked = config_edit.check(config(), file, request.form.get("text", ""), _agents())
    if checked.flows is None or name not in checked.flows.flows:
        return jsonify(error=_("Fix the problems first: the flow does not load."),
                       problems=[str(p) for p in checked.problems]), 400
    keys = [k for k in request.form.get("keys", "").replace(",", " ").split() if k]
    caller = request.form.get("caller", "").strip() or "+14155550100"
    result = dry_run(checked.flows, name, keys, datetime.now(ZoneInfo(config().timezone)), caller=caller,
                     language=request.form.get("language", "en"))
    return jsonify(steps=result.steps, path=result.path, outcome=result.outcome, queue=result.queue)


@bp.post("/<kind>/<name>")
@role_required("admin")
def save(kind: str, name: str):
    file = _file(kind, name)
    text, opened = request.form.get("text", ""), request.form.get("version", "")
    try:
        problems, diff = config_edit.save(config(), file, text, opened, _agents())
    except Stale as exc:
        checked = config_edit.check(config(), file, text, _agents())
        return _page(file, text, opened, checked, stale=str(exc)), 409
    if problems:
        return _page(file, text, opened, config_edit.Checked(problems, None)), 400
    audit("config.save", f"{kind}:{name}", diff=diff[:20000])
    db.session.commit()
    flash(_("%(file)s saved. Running controllers apply it within %(s)s s; the console at once.",
            file=f"{name}.yaml", s=int(config().reconcile_interval_s)), "ok")
    return redirect(url_for("admin_files.edit", kind=kind, name=name))


def _file(kind: str, name: str) -> ConfigFile:
    from flask import abort

    try:
        return config_edit.parse(kind, name)
    except ValueError as exc:
        abort(404, description=str(exc))


def _agents() -> list | None:
    """The agents queues are checked against (None: no agent yet, nothing to check against)."""
    return [to_live(a) for a in agent_admin.list_agents(db.session)] or None


def _graph(file: ConfigFile, checked) -> dict | None:
    from control.ivr.graph import flow_graph

    flow = checked.flows.flows.get(file.name) if file.kind == "flows" and checked.flows is not None else None
    return layout(flow_graph(flow)) if flow is not None else None


def _page(file: ConfigFile, text: str, opened: str, checked, stale: str | None = None):
    return render_template("admin/file_edit.html", file=file, text=text, version=opened,
                           problems=[str(p) for p in checked.problems], stale=stale,
                           graph=_graph(file, checked), lines=text.count("\n") + 1)
