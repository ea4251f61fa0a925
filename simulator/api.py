"""``api`` / ``bgapi`` commands with FreeSWITCH's reply texts."""
from __future__ import annotations

import json
import time
import uuid as uuidlib

import gevent

from simulator.fs_strings import BracketError, api_args, app_call, separate_string
from simulator.fs_strings import originate as parse_originate


class Api:
    def __init__(self, switch):
        self.switch = switch
        self.started = time.monotonic()

    def run_now(self, line: str) -> str:
        """The response body; follow-up work (originate's &app()) is started after it is queued."""
        body, after = self.run(line)
        if after is not None:
            self.switch.spawn(after)
        return body

    def background(self, conn, line: str) -> None:
        job = str(uuidlib.uuid4())
        conn.reply(f"+OK Job-UUID: {job}", [("Job-UUID", job)])

        def work():
            delay = self.switch.command_latency.of(line)
            if delay:   # a thread of its own on the real switch: holds up no connection
                gevent.sleep(delay)
            body, after = self.run(line)
            command, _, arg = line.strip().partition(" ")
            self.switch.emit_global("BACKGROUND_JOB",
                                    [("Job-UUID", job), ("Job-Command", command), ("Job-Command-Arg", arg)], body)
            if after is not None:
                after()

        self.switch.spawn(work)

    def run(self, line: str):
        command, _, arg = line.strip().partition(" ")
        handler = getattr(self, "cmd_" + command, None)
        if handler is None:
            return f"-ERR {command} Command not found!\n", None
        result = handler(arg.strip())
        return result if isinstance(result, tuple) else (result, None)

    # --- commands ----------------------------------------------------------------------------
    def cmd_status(self, _):
        up = time.monotonic() - self.started
        live = len(self.switch.channels())
        return (f"UP 0 years, 0 days, {int(up // 3600)} hours, {int(up % 3600 // 60)} minutes, "
                f"{int(up % 60)} seconds, 0 milliseconds, 0 microseconds\n"
                "FreeSWITCH (Version 1.11.3-dev simulator 64bit) is ready\n"
                f"{self.switch.sessions_since_startup} session(s) since startup\n"
                f"{live} session(s) - peak {live}, last 5min {live} \n"
                f"0 session(s) per Sec out of max 30, peak 1, last 5min 1 \n"
                "200 session(s) max\nmin idle cpu 0.00/99.00\nCurrent Stack Size/Max 240K/8192K\n")

    def cmd_show(self, arg):
        if not arg.startswith("channels"):
            return "-ERR Unsupported\n"
        rows = [show_row(ch) for ch in self.switch.channels()]
        if not rows:
            return '{"row_count": 0}\n'
        # what json.dumps({"row_count": ..., "rows": [...]}, separators=(",", ":")) writes
        return '{"row_count":%d,"rows":[%s]}' % (len(rows), ",".join(rows))

    def _get(self, uuid):
        return self.switch.channel(uuid)

    def cmd_uuid_exists(self, arg):
        return "true" if self._get(arg) else "false"

    def cmd_sofia_contact(self, arg):
        """``sofia_contact [profile/]user[@domain]``: the contact of a phone registered on this node. The
        simulated phones register on the internal profile (``*`` looks in every profile)."""
        profile, _, user = arg.strip().rpartition("/")
        user = user.split("@", 1)[0]
        if profile in ("", "*", "internal") and user in self.switch.phones:
            return f"sofia/internal/sip:{user}@127.0.0.1:5090"
        return "error/user_not_registered"

    def cmd_uuid_answer(self, arg):
        """mod_commands' uuid_answer: switch_channel_answer from the API's own thread."""
        ch = self._get(arg.strip())
        if ch is None or not ch.alive:
            return "-ERROR\n"
        ch.answer()
        return "+OK\n"

    def cmd_uuid_break(self, arg):
        ch = self._get((api_args(arg, 2) or [""])[0])
        if ch is None:
            return "-ERR No such channel!\n"
        ch.interrupt.set()
        return "+OK\n"

    def cmd_uuid_kill(self, arg):
        uuid, cause = (api_args(arg, 2) + ["", ""])[:2]
        ch = self._get(uuid)
        if ch is None:
            return "-ERR No such channel!\n"
        ch.hangup(cause or "NORMAL_CLEARING", by="switch")
        return "+OK\n"

    def cmd_hupall(self, arg):
        for ch in self.switch.channels():
            ch.hangup(arg.split(" ")[0] or "MANAGER_REQUEST", by="switch")
        return "+OK hupall\n"

    def cmd_reloadxml(self, _):
        return "+OK [Success]\n"

    def cmd_uuid_setvar(self, arg):
        parts = api_args(arg, 3) or [""]
        ch = self._get(parts[0])
        if ch is None or len(parts) < 2:
            return "-ERR No such channel!\n"
        if len(parts) == 3:
            ch.vars[parts[1]] = parts[2]
        else:
            ch.vars.pop(parts[1], None)
        return "+OK\n"

    def cmd_uuid_getvar(self, arg):
        parts = api_args(arg, 4) or [""]
        ch = self._get(parts[0])
        if ch is None or len(parts) < 2:
            return "-ERR No such channel!\n"
        return ch.vars.get(parts[1], "_undef_")

    def cmd_uuid_record(self, arg):
        parts = api_args(arg, 5) or [""]
        ch = self._get(parts[0])
        if ch is None or len(parts) < 3:
            return "-ERR Cannot locate session!\n"
        if parts[1] == "start":
            ch.recording, ch.recording_since = parts[2], time.monotonic()
            ch.emit("RECORD_START", extra=[("Record-File-Path", parts[2])])
        elif parts[1] == "stop" and ch.recording:
            ch.stop_recording()
        elif parts[1] in ("mask", "unmask"):  # silence written to the file while sensitive digits are read
            ch.recording_masked = parts[1] == "mask"
        return "+OK Success\n"

    def cmd_uuid_broadcast(self, arg):
        parts = api_args(arg, 4) or [""]
        ch = self._get(parts[0])
        if ch is None or len(parts) < 2:
            return "-ERR Invalid UUID\n"
        ch.interrupt.set()
        ch.execute("playback", parts[1], str(uuidlib.uuid4()))
        return "+OK Message sent\n"

    def cmd_uuid_transfer(self, arg):
        """uuid_transfer <uuid> [-bleg|-both] <dest> [<dialplan> [<context>]]: inline dialplans
        (``app:arg,app:arg``), and of the XML dialplan the one extension Hotline transfers callers to,
        ``hotline_queue_<name>`` in context ``hotline`` (dialplan/hotline.xml; simulator/calls.py)."""
        parts = [p for p in api_args(arg, 5) if p not in ("-bleg", "-both")] or [""]
        ch = self._get(parts[0])
        if ch is None or len(parts) < 2:
            return "-ERR No such channel!\n"
        if len(parts) >= 4 and parts[2] == "XML":
            if self.switch.calls.queue_transfer(ch, parts[1], parts[3]):
                return "+OK\n"
            return f"-ERR the simulator has no extension {parts[1]} in context {parts[3]}\n"
        if len(parts) < 3 or parts[2] != "inline":
            return "-ERR the simulator runs inline dialplans only\n"
        self.switch.leave_bridge(ch)
        apps = [(item.partition(":")[0].lstrip(" "), item.partition(":")[2] or None)
                for item in separate_string(parts[1], ",", 128)]
        self.switch.run_inline(ch, apps)
        return "+OK\n"

    def cmd_uuid_hold(self, arg):
        """uuid_hold [off|toggle] <uuid>: CHANNEL_HOLD / CHANNEL_UNHOLD (FreeSWITCH plays the hold music
        to the bridged partner; the simulator has no audio)."""
        parts = api_args(arg, 4) or [""]
        mode = parts[0] if parts[0] in ("off", "toggle") else "on"
        ch = self._get(parts[1] if mode != "on" and len(parts) > 1 else parts[0])
        if ch is None:
            return "-ERR Operation failed\n"
        was = ch.vars.get("hold_state") == "held"
        held = not was if mode == "toggle" else mode == "on"
        if held != was:
            ch.vars["hold_state"] = "held" if held else "unheld"
            ch.emit("CHANNEL_HOLD" if held else "CHANNEL_UNHOLD")
        return "+OK Success\n"

    def cmd_uuid_bridge(self, arg):
        parts = api_args(arg, 4) or [""]
        a = self._get(parts[0])
        b = self._get(parts[1]) if len(parts) > 1 else None
        if a is None or b is None:
            return "-ERR Invalid uuid\n"
        self.switch.uuid_bridge(a, b)
        return f"+OK {b.uuid}\n"

    def cmd_originate(self, arg):
        try:
            variables, target, exten = parse_originate(arg)
        except BracketError as exc:     # its text is FreeSWITCH's reply (-USAGE: or -ERR)
            return f"{exc}\n", None
        timeout = float(variables.get("originate_timeout", 60))
        leg, cause = self.switch.dial(variables, target, timeout, "NO_ANSWER")
        if leg is None:
            return f"-ERR {cause}\n", None
        app, app_arg = app_call(exten) if exten.startswith("&") and len(exten) > 1 else ("park", None)

        def start_app():
            leg.set_state("CS_EXECUTE", emit=False)
            leg.execute(app, app_arg, str(uuidlib.uuid4()))

        return f"+OK {leg.uuid}\n", start_app


def show_row(ch) -> str:
    """A channel's row of ``show channels as json``, serialized again only when it changed: the
    controller's reconcile sweep asks for every channel, and serializing them was most of its cost."""
    app = ch.vars.get("current_application", "")
    data = ch.vars.get("current_application_data", "")
    key = (ch.uuid, ch.direction, ch.created_us, ch.name, ch.state, ch.caller_name, ch.caller, ch.destination,
           app, data, ch.call_state)
    if ch.show_row is not None and ch.show_row[0] == key:
        return ch.show_row[1]
    text = json.dumps({"uuid": ch.uuid, "direction": ch.direction, "created": str(ch.created_us // 1_000_000),
                       "created_epoch": str(ch.created_us // 1_000_000), "name": ch.name, "state": ch.state,
                       "cid_name": ch.caller_name, "cid_num": ch.caller, "dest": ch.destination,
                       "application": app, "application_data": data, "callstate": ch.call_state,
                       "callee_name": "", "callee_num": "", "call_uuid": ch.uuid}, separators=(",", ":"))
    ch.show_row = (key, text)
    return text
