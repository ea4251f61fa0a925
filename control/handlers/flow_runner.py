"""Drive the pure IVR interpreter: execute each command on the channel, feed back the result."""
from __future__ import annotations

import logging

from control import events
from control.domain.models import CallState, Outcome
from control.esl import commands
from control.esl.outbound import ChannelGone

log = logging.getLogger(__name__)

class FlowRunner:
    def __init__(self, session):
        self.session = session
        self.deps = session.deps
        self.call = session.call
        self.said_goodbye = False   # a closing prompt (callback confirmation) was played

    def run(self, flow_name: str | None = None) -> None:
        from control.ivr.interpreter import CallContext, FlowRun

        flows = self.deps.flows.current()
        flow = flows.for_did(self.call.did) if flow_name is None else flows.get(flow_name)
        number = flows.options_for(self.call.did)
        customer = self.call.vars.get("customer")
        # a customer's own language first, then the dialled number's, then the call's default
        language = (customer or {}).get("language") or number.language or self.call.language
        ctx = CallContext(caller=self.call.caller, did=self.call.did, now=self.session.local_now(),
                          language=language, customer=customer, vars={}, hours=dict(number.hours))
        self.run_ = run = FlowRun(flows, flow.name, ctx)
        command = run.start(self.session.local_now())
        while True:
            self.call.ivr_path = list(run.path)
            kind = type(command).__name__
            if kind == "Finished":
                self._finished(command.outcome)
                self._end_call()
                return
            if kind == "Hangup":
                # the flow chose to end the call: "failed" when it gave up on the caller's input
                self._finished(run.outcome or "self_service")
                self.session.media().hangup(getattr(command, "cause", None) or "NORMAL_CLEARING")
                return
            try:
                result = self.execute(kind, command)
            except ChannelGone:
                self._hung_up(kind)
                raise
            if self.call.state == CallState.CONNECTED:
                self.call.ivr_path = list(run.path)
                return
            if self.session.channel.hungup.is_set() and self._hung_up(kind):
                return
            command = run.resume(result, self.session.local_now())

    def _hung_up(self, kind: str) -> bool:
        """The caller hung up while a command ran: a prompt or a digit read ends with an empty
        result, which the flow must not take for "no input". Notes the node; True if it did."""
        if kind == "EnterQueue" or self.call.outcome is not None:   # the queue wait, a voicemail... own it
            return False
        self.run_.abandon(self.session.local_now())
        self.call.ivr_path = list(self.run_.path)
        self._finished("abandoned")
        return True

    def _end_call(self) -> None:
        """A flow that ends without hanging up (callback recorded, voicemail left, last node) must
        still end the call: the dialplan would connect a caller left up to a controller again,
        and the IVR would start over. Says the flow's "goodbye" prompt, if it has one."""
        if self.call.state == CallState.CONNECTED or self.call.outcome == Outcome.TRANSFERRED:
            return
        run = self.run_
        flow = run.flows.flows.get(run.state.flow) or run.flow
        if not self.said_goodbye and "goodbye" in flow.prompts:
            self.session.media().play(run.prompts(flow, "goodbye"))
        self.session.media().hangup("NORMAL_CLEARING")

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
                self.session.channel.api(commands.uuid_record(self.call.id, "mask", recording[-1]))
            try:
                return media.collect(command)[:command.max_digits]   # never more than was asked for
            finally:
                if recording:
                    self.session.channel.api(commands.uuid_record(self.call.id, "unmask", recording[-1]))
        if kind == "Lookup":
            return self._lookup(command)
        if kind == "QueryQueue":
            return self._query_queue(command.queue)
        if kind == "SetChannelVars":
            media.set_vars(command.vars)
            return None
        if kind == "EnterQueue":
            result = self.session.wait_in_queue(command)
            # an overflow move joins the flow's path, which the call's path is copied from from now on
            self.run_.path.extend(result.get("notes", ()))
            if result.get("left") in ("exit_key", "overflow") and not result.get("goto"):
                self._builtin_exit(result.get("action"))
            return result
        if kind == "Voicemail":
            self._voicemail(getattr(command, "box", "general"), getattr(command, "prompt", None))
            return None
        if kind == "Callback":
            self._callback(getattr(command, "number", None) or self.call.caller)
            if getattr(command, "prompt", None) is not None:   # "we will call you back": after the request
                media.play([command.prompt])
                self.said_goodbye = True
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
        """A callback call takes the caller's place in line (entered_at, priority, needs); it is
        dialled when an agent is free, after the caller has hung up (control/handlers/callbacks.py)."""
        from control.handlers.callbacks import request_callback

        call = self.call
        call.outcome = Outcome.CALLBACK
        virtual = request_callback(self.deps, self.session.manager, call, number)
        request = {"call_id": call.id, "number": virtual.caller, "queue": virtual.queue,
                   "entered_at": virtual.entered_at, "priority": call.priority,
                   "requirements": [[r.skill, r.min_level] for r in call.requirements],
                   "callback_call_id": virtual.id}
        self.deps.call_log.append(call.id, "callback", request)
        self.deps.call_log.append(call.id, "explanations", {"kind": "callback_requested", "at": self.deps.now(),
                                                            "callback_call_id": virtual.id, "number": virtual.caller})
        self.deps.publisher.publish("wallboard", events.callback_requested(**request))
