"""The agent console page and its live event stream (/agent/events)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from sqlalchemy import select

from records.models import Agent, Queue
from web.card_layout import FIELDS as CARD_FIELDS, layouts_for_role
from web.json_api import BREAK_REASONS
from web.extensions import db
from web.live import consoles, stream_response
from web.masking import current_policy, mask_message
from web.queue_rules import queue_rules
from web.roles import has_role, role_required

bp = Blueprint("agent", __name__, url_prefix="/agent")


def js_strings() -> dict[str, str]:
    """UI strings the script needs, translated on the server (no JS i18n library)."""
    return {
        "connected": _("Live"), "disconnected": _("Reconnecting…"), "incoming": _("Incoming call"),
        "unknown_caller": _("Unknown caller"), "vip": _("VIP"), "tier": _("Tier"), "tags": _("Tags"),
        "language": _("Language"), "waited": _("Waited"), "seconds": _("s"), "ivr_path": _("IVR path"),
        "open_tickets": _("Open tickets"), "last_calls": _("Last calls"), "fields": _("Details"),
        "none": _("None"), "queue": _("Queue"), "create_customer": _("Create customer"),
        "saved": _("Saved"), "error": _("Something went wrong"), "answered": _("Call answered"),
        "ended": _("Call ended"), "missed": _("Missed offer"), "partial": _("Customer lookup timed out"),
        "state": _("State"), "number": _("Number"), "name": _("Name"), "disposition": _("Disposition"),
        "save": _("Save"), "note": _("Note"), "history": _("History"), "on_hold": _("On hold"),
        "action_sent": _("Request sent"), "ticket_created": _("Ticket created"), "note_added": _("Note added"),
        "follow_up_marked": _("Marked for follow-up"), "callback_scheduled": _("Callback scheduled"),
        "wrap_up": _("Wrap-up"), "wrap_up_left": _("Wrap-up time left"), "disposition_required":
        _("Choose a disposition before you finish"), "disposition_saved": _("Disposition saved"),
        "no_articles": _("No suggested articles"), "channel_chat": _("Chat"), "channel_email": _("Email"),
        "channel_call": _("Call"), "choose": _("Choose…"), "confirm_hangup": _("Hang up this call?"),
    }


@bp.get("/")
@role_required("agent")
def console():
    rules = queue_rules()
    queues = sorted(set(rules) | set(db.session.scalars(select(Queue.name))))
    agents = db.session.execute(select(Agent.id, Agent.name).order_by(Agent.position, Agent.id)).all()
    setup = {"layouts": layouts_for_role(db.session, current_user.role), "fields": list(CARD_FIELDS),
             "queues": {name: rules.get(name, {"dispositions": [], "required": False}) for name in queues}}
    return render_template("agent/console.html", strings=js_strings(), break_reasons=BREAK_REASONS,
                           agent_id=current_user.agent_id or "", setup=setup, queues=queues,
                           agents=[{"id": a.id, "name": a.name} for a in agents])


@bp.get("/events")
@role_required("agent")
def events():
    agent_id = current_user.agent_id
    wanted = request.args.get("agent")
    if wanted and wanted != agent_id:
        if not has_role(current_user, "supervisor"):
            abort(403)
        agent_id = wanted
    if not agent_id:
        abort(409, description="this user is not an agent")
    role = current_user.role
    on_read = None
    if agent_id == current_user.agent_id:   # the agent's own console: its pops are acknowledged
        marks, ttl = consoles(), 2 * float(current_app.config["SSE_HEARTBEAT_S"]) + 5
        on_read = lambda: marks.mark_open(agent_id, ttl)   # noqa: E731
    policy = current_policy()
    return stream_response(f"agent:{agent_id}", transform=lambda m: mask_message(m, role, policy), on_read=on_read)
