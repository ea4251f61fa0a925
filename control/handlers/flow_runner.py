"""Drive the pure IVR interpreter: execute each command on the channel, feed back the result."""
from __future__ import annotations

import logging

from control.domain.models import CallState, Outcome

log = logging.getLogger(__name__)

MAX_DIGITS = 32  # a caller pressing 50 digits at once is cut here as well as by the flow


class FlowRunner:
    def __init__(self, session):
        self.session = session
        self.deps = session.deps
        self.call = session.call

    def run(self, flow_name: str | None = None) -> None:
        from control.ivr.interpreter import CallContext, FlowRun

        flows = self.deps.flows.current()
        flow = flows.for_did(self.call.did) if flow_name is None else flows.get(flow_name)
        ctx = CallContext(caller=self.call.caller, did=self.call.did, now=self.session.local_now(),
                          language=self.call.language, customer=self.call.vars.get("customer"), vars={})
        self.run_ = run = FlowRun(flows, flow.name, ctx)
        command = run.start(self.session.local_now())
        while True:
            self.call.ivr_path = list(run.path)
            kind = type(command).__name__
            if kind == "Finished":
                self._finished(command.outcome)
                return
            if kind == "Hangup":
                # the flow chose to end the call: "failed" when it gave up on the caller's input
                self._finished(run.outcome or "self_service")
                self.session.media().hangup(getattr(command, "cause", None) or "NORMAL_CLEARING")
                return
            result = self.execute(kind, command)
            if self.call.state == CallState.CONNECTED:
                self.call.ivr_path = list(run.path)
                return
            command = run.resume(result, self.session.local_now())

    def _finished(self, outcome: str | None) -> None:
        if outcome and self.call.outcome is None:
            try:
                self.call.outcome = Outcome(outcome)
            except ValueError:
                self.call.outcome = Outcome.SELF_SERVICE

    # -- one command ------------------------------------------------------------
    def execute(self, kind: str, command):
        media = self.session.media()
        state = getattr(self.run_, "state", None)
        if state is not None and getattr(state, "language", None):
            self.call.language = state.language
        if kind == "Play":
            media.play(command.prompts)
            return None
        if kind == "Collect":
            recording = self.deps.call_log.read(self.call.id, "recording") if command.sensitive else []
            if recording:  # a card number must not end up in the conversation's recording
                self.session.channel.api(f"uuid_record {self.call.id} mask {recording[-1]}")
            try:
                return media.collect(command)[:MAX_DIGITS]
            finally:
                if recording:
                    self.session.channel.api(f"uuid_record {self.call.id} unmask {recording[-1]}")
        if kind == "Lookup":
            return self._lookup(command)
        if kind == "QueryQueue":
            return self._query_queue(command.queue)
        if kind == "SetChannelVars":
            media.set_vars(command.vars)
            return None
        if kind == "EnterQueue":
            result = self.session.wait_in_queue(command)
            if result.get("left") in ("exit_key", "overflow") and not result.get("goto"):
                self._builtin_exit(result.get("action"))
            return result
        if kind == "Voicemail":
            self._voicemail(getattr(command, "box", "general"), getattr(command, "prompt", None))
            return None
        if kind == "Callback":
            self._callback(getattr(command, "number", None) or self.call.caller)
            return None
        if kind == "Transfer":
            self.call.outcome = Outcome.TRANSFERRED
            media.transfer(command.target, getattr(command, "kind", "extension"))
            return None
        log.error("unknown IVR command %s; hanging up", kind)
        self.call.outcome = Outcome.FAILED
        media.hangup("NORMAL_TEMPORARY_FAILURE")
        return None

    def _lookup(self, command):
        customers = self.deps.customers
        try:
            if command.by == "account":
                return self.deps.offload(customers.by_account, command.value)
            return self.deps.offload(customers.by_number, command.value or self.call.caller)
        except Exception:  # the lookup is best effort: the flow takes its not-found branch
            log.warning("lookup failed", exc_info=True)
            return None

    def _query_queue(self, name: str) -> dict:
        from control.domain.models import AgentState
        from control.domain.queueing import position_and_wait

        store = self.deps.store
        agents = store.agents()
        queue = self.deps.queues.current().get(name)
        members = [a for a in agents if name in a.queues]
        waiting = [c for c in store.waiting_calls() if c.queue == name]
        probe = type(self.call)(id="probe", caller=self.call.caller, did=self.call.did, queue=name,
                                state=CallState.QUEUED, entered_at=self.deps.now(), seq=1 << 62)
        estimate = 0.0
        if queue is not None:
            _, estimate = position_and_wait(self.deps.now(), probe, waiting + [probe], agents,
                                            self.deps.queues.current(), aht_s=store.aht(name))
        return {
            "agents_available": sum(1 for a in members if a.state == AgentState.AVAILABLE),
            "agents_logged_in": sum(1 for a in members if a.state != AgentState.LOGGED_OUT),
            "waiting": len(waiting), "estimated_wait_s": estimate,
        }

    def _builtin_exit(self, action: str | None) -> None:
        if action == "voicemail":
            self._voicemail(self.call.queue or "general", None)
        elif action == "callback":
            self._callback(self.call.caller)

    def _voicemail(self, box: str, prompt) -> None:
        from control.handlers.actions import recording_path

        cfg = self.deps.config
        path = recording_path(cfg.recording_template, cfg.recordings_dir, f"vm-{box}-{self.call.id}",
                              self.deps.now())
        self.call.outcome = Outcome.VOICEMAIL
        self.deps.call_log.append(self.call.id, "recording", path)
        self.session.media().voicemail(box, path, prompt)

    def _callback(self, number: str) -> None:
        """Record a callback request with the caller's original place in line (entered_at)."""
        call = self.call
        call.outcome = Outcome.CALLBACK
        request = {"call_id": call.id, "number": number, "queue": call.queue, "entered_at": call.entered_at,
                   "priority": call.priority, "requirements": [[r.skill, r.min_level] for r in call.requirements]}
        self.deps.call_log.append(call.id, "callback", request)
        self.deps.publisher.publish("wallboard", {"type": "callback_requested", **request})
