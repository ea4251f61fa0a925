"""A simulated FreeSWITCH channel: its state, variables, and events built in FreeSWITCH's header order.

The header names, their order and the baseline channel variables come from the
recorded sessions (simulator/templates/*.json); values are this channel's own.
"""
from __future__ import annotations

import json
import logging
import time
from importlib import resources

import gevent
from gevent.event import Event
from gevent.queue import Queue

STATE_NUMBERS = {"CS_NEW": 0, "CS_INIT": 1, "CS_ROUTING": 2, "CS_SOFT_EXECUTE": 3, "CS_EXECUTE": 4,
                 "CS_EXCHANGE_MEDIA": 5, "CS_PARK": 6, "CS_CONSUME_MEDIA": 7, "CS_HIBERNATE": 8,
                 "CS_RESET": 9, "CS_HANGUP": 10, "CS_REPORTING": 11, "CS_DESTROY": 12}

log = logging.getLogger(__name__)


def _template(name: str):
    return json.loads(resources.files("simulator").joinpath("templates", name).read_text())


CALLING = _template("calling.json")
VARIABLES = _template("variables.json")
PROFILES = _template("profiles.json")

# Hangup teardown marker put on a channel's application queue.
TEARDOWN = object()
PARK_TICK_S = 0.02   # switch_ivr_park's sleep while the channel has no media


_VARIABLE_HEADERS: dict[str, str] = {}


def _variable_header(name: str) -> str:
    header = _VARIABLE_HEADERS.get(name)
    if header is None:
        if len(_VARIABLE_HEADERS) >= 10_000:      # names are a few hundred unless something invents them
            _VARIABLE_HEADERS.clear()
        header = _VARIABLE_HEADERS[name] = f"variable_{name}"
    return header


def now_us() -> int:
    return int(time.time() * 1_000_000)


class Channel:
    """One call leg. ``direction`` is "inbound" (a caller) or "outbound" (originated)."""

    def __init__(self, switch, uuid: str, direction: str, name: str, *, caller: str, caller_name: str,
                 destination: str, user: str = "", extra_vars: dict | None = None):
        self.switch, self.uuid, self.direction, self.name = switch, uuid, direction, name
        self.caller, self.caller_name, self.destination, self.user = caller, caller_name, destination, user
        self.state, self.answer_state = "CS_INIT", "ringing"
        self.call_state = "DOWN" if direction == "outbound" else "RINGING"
        self.created_us = now_us()
        self.answered_us = self.hangup_us = self.bridged_us = self.progress_us = 0
        self.hangup_cause: str | None = None
        self.hangup_by: str | None = None
        self.remote_hangup = False     # this channel's own phone sent the BYE (recv_bye), not the switch
        self.other: Channel | None = None        # the bridged partner (kept after unbridge for Other-Leg-*)
        self.bridged = False
        self.is_a_leg = False
        self.session = None                      # outbound Event Socket session, if any
        self.socket_running = False              # the dialplan socket app is still executing
        self.socket_runs = 0                     # connections to a controller, for a caller (simulator/calls.py)
        self.socket_generation = 0               # bumped when a transfer runs `socket` afresh
        self.controller: tuple | None = None     # where a caller's `socket` connects
        self.socket_app_uuid = ""
        self.setup_s: float | None = None          # seconds from connecting to the controller to the answer
        self.parked_at = time.monotonic()          # when the socket application parked the channel
        self.recording: str | None = None
        self.played: list[str] = []              # media the caller heard, in order (tests, reports)
        self.queue: Queue = Queue()
        self.interrupt = Event()                 # uuid_break / hangup / transfer: stop the current media
        self.gone = Event()
        self.dtmf: Queue = Queue()               # digits for a collecting application
        self.collecting = False
        self.key_pressed = Event()               # set when a digit reaches a collecting application
        self.app_done = Event()                  # clear while an application runs
        self.app_done.set()
        self.on_bridge = Event()                 # set while bridged, for phones/callers waiting on it
        self.vars: dict[str, str] = {}
        self._profiles: dict[str, tuple] = {}    # label -> (the values it was built from, its pairs)
        self._vars_seen: tuple = ()
        self._vars_pairs: list[tuple[str, str]] = []
        self.show_row: tuple | None = None       # (its values, its `show channels` JSON): simulator.api
        fill = {"{{uuid}}": uuid, "{{caller}}": caller, "{{caller_name}}": caller_name, "{{did}}": destination,
                "{{dest}}": name.split("/", 2)[-1], "{{user}}": user or destination}
        for key, value in VARIABLES[direction]:
            if "{{" in value:
                for old, new in fill.items():
                    value = value.replace(old, new)
            self.vars[key] = value
        self.vars["channel_name"] = name
        for key, value in (extra_vars or {}).items():
            self.vars[key] = str(value)
        self._runner = None
        self.phone = None                        # the simulated phone of an originated leg
        self.script = None                       # the simulated caller of an inbound leg
        self.bridge_mode = ""                    # "uuid" (api uuid_bridge) or "app" (bridge application)

    # --- state -------------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.hangup_cause is None

    def set_state(self, state: str, emit: bool = True) -> None:
        self.state = state
        if emit:
            self.emit("CHANNEL_STATE", variables=False)

    def emit(self, event_name: str, extra=(), prefix=(), variables: bool = True, calling: str | None = None) -> None:
        self.switch.emit(self, self.event(event_name, extra, prefix, variables, calling))

    # --- event headers -----------------------------------------------------------------------
    def event(self, event_name: str, extra=(), prefix=(), variables: bool = True,
              calling: str | None = None) -> list[tuple[str, str]]:
        pairs = self.switch.standard_headers(event_name, calling)
        pairs += list(prefix)
        pairs += self.channel_headers()
        if variables:
            pairs += self.variable_pairs()
        pairs += list(extra)
        return pairs

    def variable_pairs(self) -> list[tuple[str, str]]:
        """The variable_* headers, the same objects while the variables (all strings) are unchanged:
        the event encoder remembers lines by their pair, and hashing new strings each event was costly."""
        items = tuple(self.vars.items())
        if items != self._vars_seen:
            self._vars_seen = items
            self._vars_pairs = [(_variable_header(k), v) for k, v in items]
        return self._vars_pairs

    def channel_headers(self, label: str = "Channel") -> list[tuple[str, str]]:
        pairs = [("Channel-State", self.state), ("Channel-Call-State", self.call_state),
                 ("Channel-State-Number", str(STATE_NUMBERS[self.state])), ("Channel-Name", self.name),
                 ("Unique-ID", self.uuid), ("Call-Direction", self.direction),
                 ("Presence-Call-Direction", self.direction),
                 ("Channel-HIT-Dialplan", "true" if self.direction == "inbound" else "false"),
                 ("Channel-Call-UUID", self.uuid), ("Answer-State", self.answer_state)]
        if self.hangup_cause:
            pairs.append(("Hangup-Cause", self.hangup_cause))
        pairs += [("Channel-Read-Codec-Name", "PCMU"), ("Channel-Read-Codec-Rate", "8000"),
                  ("Channel-Read-Codec-Bit-Rate", "64000"), ("Channel-Write-Codec-Name", "PCMU"),
                  ("Channel-Write-Codec-Rate", "8000"), ("Channel-Write-Codec-Bit-Rate", "64000")]
        pairs += self.profile("Caller")
        if self.other is not None:
            pairs.append(("Other-Type", "originatee" if self.is_a_leg else "originator"))
            pairs += self.other.profile("Other-Leg")
        return pairs

    def profile(self, label: str) -> list[tuple[str, str]]:
        """The caller-profile block (Caller-* on its own events, Other-Leg-* on the partner's).

        Built again only when a value in it changed: it is in nearly every event."""
        key = (self.direction, self.caller, self.caller_name, self.destination, self.uuid, self.name,
               self.created_us, self.answered_us, self.progress_us, self.hangup_us, self.bridged_us)
        cached = self._profiles.get(label)
        if cached is not None and cached[0] == key:
            return list(cached[1])
        pairs = self._build_profile(label)
        self._profiles[label] = (key, tuple(pairs))
        return pairs

    def _build_profile(self, label: str) -> list[tuple[str, str]]:
        values = {
            "Direction": self.direction, "Logical-Direction": self.direction, "Username": self.caller,
            "Dialplan": "XML", "Caller-ID-Name": self.caller_name, "Caller-ID-Number": self.caller,
            "Orig-Caller-ID-Name": self.caller_name, "Orig-Caller-ID-Number": self.caller,
            "Callee-ID-Name": "Outbound Call", "Callee-ID-Number": self.destination,
            "Network-Addr": "127.0.0.1", "ANI": self.caller, "Destination-Number": self.destination,
            "Unique-ID": self.uuid, "Source": "mod_sofia" if self.direction == "inbound" else "src/switch_ivr_originate.c",
            "Context": "default", "Channel-Name": self.name, "Profile-Index": "1",
            "Profile-Created-Time": str(self.created_us), "Channel-Created-Time": str(self.created_us),
            "Channel-Answered-Time": str(self.answered_us), "Channel-Progress-Time": str(self.progress_us),
            "Channel-Progress-Media-Time": "0", "Channel-Hangup-Time": str(self.hangup_us),
            "Channel-Transfer-Time": "0", "Channel-Resurrect-Time": "0",
            "Channel-Bridged-Time": str(self.bridged_us), "Channel-Last-Hold": "0", "Channel-Hold-Accum": "0",
            "Screen-Bit": "true", "Privacy-Hide-Name": "false", "Privacy-Hide-Number": "false",
        }
        names = PROFILES["other_leg"] if label == "Other-Leg" else PROFILES[self.direction]
        return [(f"{label}-{n}", values.get(n, "")) for n in names]

    def channel_data(self) -> list[tuple[str, str]]:
        """The CHANNEL_DATA block of the reply to ``connect``."""
        pairs = self.switch.standard_headers("CHANNEL_DATA", "CHANNEL_EXECUTE")
        pairs += self.profile("Channel")
        pairs += self.channel_headers()
        pairs += self.variable_pairs()
        return pairs

    # --- media and applications ---------------------------------------------------------------
    def wait_media(self, seconds: float | None) -> bool:
        """Play media for ``seconds`` (None: until broken). False if interrupted or hung up."""
        return not self.interrupt.wait(seconds) and self.alive

    def press(self, digits: str, source: str = "RTP", duration: str = "2240") -> None:
        """The far end sends DTMF: a DTMF event per digit, and the digit to a collecting app.
        Digits arrive as FreeSWITCH decodes RFC 2833 events ("0123456789*#ABCD"): A-D upper-case.
        An application that does not collect (playback, say) drops them, as FreeSWITCH's does."""
        for digit in digits.upper():
            if not self.alive:
                return
            self.emit("DTMF", extra=[("DTMF-Digit", digit), ("DTMF-Duration", duration), ("DTMF-Source", source)],
                      variables=False)
            if self.collecting:
                self.dtmf.put(digit)
                self.key_pressed.set()

    def answer(self) -> None:
        if self.answered_us or not self.alive:
            return
        self.answered_us = now_us()
        self.answer_state = "answered"
        if self.setup_s is None and self.session is not None:   # TCP connect -> answered (bench)
            self.setup_s = time.monotonic() - self.session.connect_at
        self.emit("CHANNEL_ANSWER")
        self.call_state = "ACTIVE"

    def execute(self, app: str, arg: str | None, app_uuid: str) -> None:
        """Queue an application (sendmsg execute or originate's &app())."""
        if self.alive:
            self.queue.put((app, arg, app_uuid))

    def start(self) -> None:
        self._runner = gevent.spawn(self._run)

    def _run(self) -> None:
        from simulator.apps import run_app

        while True:
            item = self.queue.get()
            if item is TEARDOWN:
                break
            if not self.alive:
                continue
            app, arg, app_uuid = item
            self._wait_for_park_tick()
            self.app_done.clear()
            try:
                run_app(self, app, arg, app_uuid)
            finally:
                self.app_done.set()
            if not self.alive:
                break
        self._teardown()

    def _wait_for_park_tick(self) -> None:
        """The socket application parks the channel (switch_ivr_park). Without media yet (neither
        answered nor early media) its loop sleeps 20 ms (switch_yield(20000)), then takes one queued
        command: an ``execute`` sent before the answer starts on the next tick. With media, a queued
        command breaks the frame read at once. ``uuid_answer`` (an api command) does not wait."""
        if not self.socket_running or self.answered_us or self.progress_us:
            return
        elapsed = time.monotonic() - self.parked_at
        gevent.sleep(PARK_TICK_S - elapsed % PARK_TICK_S)

    # --- hangup ------------------------------------------------------------------------------
    def hangup(self, cause: str = "NORMAL_CLEARING", by: str = "switch", remote: bool | None = None) -> None:
        """CHANNEL_HANGUP now; the app runner completes the running app and tears down. ``by``: who
        ended the call; ``remote``: this channel's own phone hung up (default: by is caller or agent).
        As mod_sofia does (sofia.c, sofia_handle_sip_i_bye), a BYE received sets sip_term_status
        before CHANNEL_HANGUP and sip_hangup_phrase on the bridged partner; sip_hangup_disposition
        comes only later (CHANNEL_HANGUP_COMPLETE)."""
        if not self.alive:
            return
        self.hangup_cause, self.hangup_by = cause, by
        self.remote_hangup = by in ("caller", "agent") if remote is None else remote
        if self.remote_hangup:
            self.vars.update({"sip_term_status": "200", "proto_specific_hangup_cause": "sip:200", "sip_term_cause": "16"})
            if self.other is not None and self.bridged:
                self.other.vars["sip_hangup_phrase"] = "OK"
        self.hangup_us = now_us()
        self.answer_state = "hangup"
        self.vars["hangup_cause"] = cause
        self.emit("CHANNEL_HANGUP")
        self.interrupt.set()
        if self.collecting:
            self.dtmf.put(None)
        self.queue.put(TEARDOWN)

    def _teardown(self) -> None:
        if self.socket_running:
            self.end_socket_app()
        self.set_state("CS_HANGUP")
        self.call_state = "HANGUP"
        self.set_state("CS_REPORTING")
        if self.recording:
            self.stop_recording()
        self.vars.update({"sip_hangup_disposition": "recv_bye" if self.remote_hangup else "send_bye",
                          "billsec": str(max(0, (self.hangup_us - self.answered_us) // 1_000_000) if self.answered_us else 0)})
        self.emit("CHANNEL_HANGUP_COMPLETE", prefix=[("Hangup-Cause", self.hangup_cause)])
        self.switch.channel_gone(self)
        if self.session is not None:
            self.session.channel_gone()
        self.gone.set()

    def end_socket_app(self) -> None:
        """The dialplan ``socket`` application returns (hangup, or the channel was transferred)."""
        self.socket_running = False
        self.emit("CHANNEL_UNPARK")
        self.emit("CHANNEL_EXECUTE_COMPLETE", extra=[
            ("Application", "socket"), ("Application-Data", self.vars.get("socket_data", "")),
            ("Application-Response", self.vars.get("current_application_response", "_none_")),
            ("Application-UUID", self.socket_app_uuid)])

    def stop_recording(self) -> None:
        path, self.recording = self.recording, None
        if getattr(self.switch, "write_recordings", False) and path:
            from simulator.recordings import write_stereo_wav

            try:
                write_stereo_wav(path, time.monotonic() - getattr(self, "recording_since", time.monotonic()))
            except OSError as exc:
                log.warning("recording %s not written: %s", path, exc)
        self.emit("RECORD_STOP", extra=[("Record-File-Path", path), ("Record-Completion-Cause", "success-silence")])
