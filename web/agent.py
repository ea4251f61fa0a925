"""The agent console page and its live event stream (/agent/events)."""
from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from sqlalchemy import select

from records.models import Agent, Queue
from web.card_layout import FIELDS as CARD_FIELDS, layouts_for_role
from web.extensions import db
from web.live import consoles, live_state, stream_response
from web.masking import current_policy, mask_message
from web.queue_rules import queue_rules
from web.reasons import configured_reasons
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
        "st_available": _("Available"), "st_reserved": _("Ringing"), "st_on_call": _("On call"),
        "st_on_hold": _("On hold"), "st_wrap_up": _("Wrap-up"), "st_break": _("Break"),
        "st_not_ready": _("Not ready"), "st_logged_out": _("Logged out"), "st_unknown": _("Unknown"),
        "talk": _("Talk"), "hold": _("Hold"), "pending": _("Pending…"), "done": _("Done"), "failed": _("Failed"),
        "finished": _("Wrap-up finished"), "saved_on_call": _("Saved on this call"), "no_answer_from_switch": _("no answer from the switch"),
        "switch_reasons": switch_reasons(),
    }


def softphone_strings() -> dict[str, str]:
    """The browser phone's states (static/softphone.js), in the agent's words."""
    return {
        "unregistered": _("not connected"), "registering": _("connecting…"), "registered": _("ready"),
        "ringing": _("ringing"), "in_call": _("in call"), "on_hold": _("on hold"),
        "reconnecting": _("connection lost, reconnecting…"),
        "mic_denied": _("microphone blocked: allow it in the browser and reload"),
        "registration_failed": _("the switch refused the phone"),
        "second_tab": _("the phone is open in another tab"),
        "cannot_connect": _("cannot reach the phone server"),
        "desk_phone": _("desk phone"), "off": _("browser phone not set up"),
        "help_cannot_connect": _("The page cannot open {url}. Check that this computer reaches that address "
                                 "(network, VPN, firewall), that FreeSWITCH runs with its webrtc profile, and "
                                 "that its certificate is valid, not expired and for that name: open the same "
                                 "address with https:// in this browser to see a certificate error. You cannot "
                                 "go available until the phone is ready."),
        "help_reconnecting": _("The connection to the phone server was lost; the page keeps trying. A call in "
                               "progress may continue. While the phone is away you become not ready "
                               "(phone offline), and available again when it is back."),
        "help_mic_denied": _("The browser blocked the microphone. Allow it with the icon in the address bar, "
                             "check that a headset is plugged in, then reload the page. You cannot go "
                             "available without a microphone."),
        "help_registration_failed": _("The phone server refused your phone's sign-in. Ask an administrator "
                                      "to check your extension and its SIP password."),
        "help_second_tab": _("Your phone already runs in another tab of this browser: take calls there, or "
                             "close that tab and reload this one."),
        "default_device": _("default"), "testing": _("testing…"),
        "test_heard": _("microphone heard; you should have heard a tone"),
        "test_silent": _("no sound from the microphone: check the headset and the choice above"),
    }


def switch_reasons() -> dict[str, str]:
    """FreeSWITCH's replies and hangup causes, in the agent's words (the console matches a fragment)."""
    return {
        "No such channel": _("the call is no longer on the switch"),
        "is not live": _("the call has already ended"),
        "NO_ANSWER": _("nobody answered"), "USER_BUSY": _("the line is busy"),
        "CALL_REJECTED": _("the call was refused"), "UNALLOCATED_NUMBER": _("that number does not exist"),
        "NO_ROUTE_DESTINATION": _("there is no route to that number"),
        "USER_NOT_REGISTERED": _("that phone is not connected"), "SUBSCRIBER_ABSENT": _("that phone is not connected"),
        "bad transfer target": _("the transfer target is not valid"),
        "finish or cancel the consultation first": _("finish or cancel the consultation first"),
        "no connection to the switch": _("the switch cannot be reached"),
        "not allowed": _("that number is not allowed"),
    }


def live_agent(agent_id: str) -> dict | None:
    """The agent's state as the controller holds it now, for the console's first paint (the stream
    only carries changes). None when live state is unavailable or the agent is unknown to it."""
    store = live_state()
    agent = store.get_agent(agent_id) if store is not None and agent_id else None
    if agent is None:
        return None
    call = store.get_call(agent.call_id) if agent.call_id else None
    reason = agent.break_reason if agent.state.value == "break" else None
    return {"state": agent.state.value, "reason": reason, "since": agent.state_since, "now": time.time(),
            "call": None if call is None else {"call_id": call.id, "caller": call.caller, "queue": call.queue,
                                               "answered_at": call.answered_at}}


@bp.get("/")
@role_required("agent")
def console():
    rules = queue_rules()
    queues = sorted(set(rules) | set(db.session.scalars(select(Queue.name))))
    agents = db.session.execute(select(Agent.id, Agent.name).order_by(Agent.position, Agent.id)).all()
    setup = {"layouts": layouts_for_role(db.session, current_user.role), "fields": list(CARD_FIELDS),
             "queues": {name: rules.get(name, {"dispositions": [], "required": False}) for name in queues},
             "live": live_agent(current_user.agent_id or "")}
    reasons = configured_reasons()
    return render_template("agent/console.html", strings=js_strings(), softphone_strings=softphone_strings(),
                           break_reasons=reasons["break"],
                           not_ready_reasons=reasons["not_ready"],
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
