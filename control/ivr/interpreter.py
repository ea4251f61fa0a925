"""The pure IVR interpreter: walks a flow and yields one command at a time.

    run = FlowRun(flowset, "main", CallContext(caller, did, now, language))
    command = run.start(now)
    while not run.done:
        command = run.resume(execute(command), now)

No I/O and no clock: the controller passes ``now`` and every result in. Node
kinds live in steps_*.py as generators that yield commands and return where the
walk goes next; ``FlowRun`` drives them, follows goto/call/return, and keeps the
human-readable path.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from control.ivr import steps_basic, steps_input, steps_route
from control.ivr.commands import TERMINAL, Command, Finished, Hangup, Prompt
from control.ivr.model import Flow, FlowSet
from control.ivr.render import resolve, walk
from control.ivr.steps_basic import CallFlow, Goto, Steps

STEPS = {
    "play": steps_basic.play, "set": steps_basic.set_, "voicemail": steps_basic.voicemail,
    "transfer": steps_basic.transfer, "hangup": steps_basic.hangup, "goto": steps_basic.goto,
    "call": steps_basic.call, "return": steps_basic.return_,
    "menu": steps_input.menu, "collect": steps_input.collect, "callback": steps_input.callback,
    "lookup": steps_route.lookup, "branch": steps_route.branch, "queue": steps_route.queue,
}


@dataclass
class CallContext:
    caller: str
    did: str
    now: datetime
    language: str = "en"
    customer: dict | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    hours: dict[str, str] = field(default_factory=dict)   # the dialled number's calendars in place of others


@dataclass
class RunState:
    """What the flow has decided so far (the controller may read it at any time)."""
    language: str
    customer: dict | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    skills: dict[str, int] = field(default_factory=dict)    # skill -> minimum level
    priority: int = 0
    language_chosen: bool = False     # picked in a menu or set node: a customer record no longer overrides it
    flow: str = ""
    node: str = ""
    outcome: str | None = None


class FlowRun:
    def __init__(self, flows: FlowSet, flow_name: str, ctx: CallContext, max_steps: int | None = None):
        self.flows, self.ctx = flows, ctx
        self.flow: Flow = flows.get(flow_name)
        language = ctx.language if ctx.language in self.flow.languages else self.flow.languages[0]
        self.state = RunState(language=language, customer=ctx.customer, vars=dict(ctx.vars or {}))
        self.path: list[str] = []
        self.now = ctx.now
        self.max_steps = max_steps or self.flow.max_steps
        self.steps = 0
        self.command: Command | None = None
        self.done = False
        self._gen: Steps | None = None

    # -- driving ---------------------------------------------------------------------
    def start(self, now: datetime | None = None) -> Command:
        if self._gen is not None:
            raise RuntimeError("FlowRun.start() called twice")
        self.now = now or self.ctx.now
        self._gen = self._walk()
        return self._advance(lambda: next(self._gen))

    def resume(self, result: Any = None, now: datetime | None = None) -> Command:
        """Feed the result of the last command; returns the next one (the terminal one again once done)."""
        if self._gen is None:
            raise RuntimeError("FlowRun.resume() before start()")
        if self.done:
            return self.command
        self.now = now or self.now
        return self._advance(lambda: self._gen.send(result))

    def abandon(self, now: datetime | None = None) -> None:
        """The caller hung up while the last command ran: note where, and stop."""
        if self.done:
            return
        self.now = now or self.now
        flow = self.flows.flows.get(self.state.flow)
        node = flow.nodes.get(self.state.node) if flow else None
        self.path.append(f"caller hung up during {node['type']} {self.state.node}" if node else "caller hung up")
        self.state.outcome = "abandoned"
        self.command, self.done = Finished("abandoned"), True
        if self._gen is not None:
            self._gen.close()

    @property
    def outcome(self) -> str | None:
        return self.state.outcome

    def _advance(self, step) -> Command:
        try:
            command = step()
        except StopIteration as stop:
            command = stop.value
        if isinstance(command, TERMINAL):
            self.done = True
            if isinstance(command, Finished):
                self.state.outcome = command.outcome
            elif self.state.outcome is None:
                self.state.outcome = "failed"   # the flow gave up on the caller (no valid input, loop)
        self.command = command
        return command

    # -- the walk --------------------------------------------------------------------
    def _walk(self) -> Steps:
        flow, target = self.flow, self.flow.start
        stack: list[tuple[Flow, str | None]] = []   # where each `call` returns to
        while True:
            if isinstance(target, TERMINAL):
                return target
            if isinstance(target, Goto):
                self.path.append(f"goto flow {target.flow}")
                flow = self.flows.get(target.flow)
                target = target.node or flow.start
            elif isinstance(target, CallFlow):
                self.path.append(f"call flow {target.flow}")
                stack.append((flow, target.back_to))
                flow = self.flows.get(target.flow)
                target = flow.start
            if target is None:   # end of this flow
                if not stack:
                    return Finished(self.state.outcome or "self_service")
                done_flow = flow.name
                flow, target = stack.pop()
                self.path.append(f"back from flow {done_flow}")
                continue
            self.steps += 1
            if self.steps > self.max_steps:
                self.path.append(f"loop guard: more than {self.max_steps} steps, hanging up")
                self.state.outcome = "failed"
                return Hangup("NORMAL_TEMPORARY_FAILURE", reason=f"loop guard in flow {flow.name} at {target}")
            node = flow.nodes[target]
            self.state.flow, self.state.node = flow.name, target
            if node.get("label"):
                self.path.append(node["label"])
            target = yield from STEPS[node["type"]](self, flow, target, node)

    # -- what steps read -----------------------------------------------------------------
    def value(self, path: str) -> Any:
        """A value a flow can read: caller, did, language, priority, skills, customer.*, vars.* or a var."""
        names = {"caller": self.ctx.caller, "did": self.ctx.did, "language": self.state.language,
                 "priority": self.state.priority, "skills": self.state.skills,
                 "customer": self.state.customer or {}, "vars": self.state.vars}
        head = path.split(".", 1)[0]
        return walk(names if head in names else self.state.vars, path)

    def calendar(self, flow: Flow, name: str):
        """The flow's calendar ``name``, or the one the dialled number uses in its place."""
        return flow.hours[self.ctx.hours.get(name, name)]

    def prompts(self, flow: Flow, spec: Any) -> tuple[Prompt, ...]:
        if spec is None:
            return ()
        return resolve(flow, spec, self.state.language, self.value)
