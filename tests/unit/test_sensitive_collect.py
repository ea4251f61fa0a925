"""Card numbers: hidden from the call's path, and masked in a running recording while entered."""
from __future__ import annotations

from types import SimpleNamespace

from control.handlers.flow_runner import FlowRunner
from control.ivr.commands import Collect
from control.ivr.interpreter import CallContext, FlowRun
from control.ivr.loader import flows_from_data
from control.store.call_log import MemoryCallLog

FLOWS = {"dids": {"default": "pay"},
         "pay": {"languages": ["en"], "prompts": {"card": {"en": "Enter your card number."}},
                 "nodes": {"card": {"type": "collect", "prompt": "card", "var": "card", "min_digits": 12,
                                    "max_digits": 19, "sensitive": True, "next": "done"},
                           "done": {"type": "hangup"}}}}


def test_sensitive_digits_never_reach_the_path():
    run = FlowRun(flows_from_data(FLOWS, "pay.yaml"), "pay", CallContext(caller="+1", did="+2", now=None))
    command = run.start()
    while not isinstance(command, Collect):
        command = run.resume(None)
    assert command.sensitive
    run.resume("4111111111111111#")
    assert "entered card (hidden)" in run.path
    assert not any("4111" in step for step in run.path)


def test_recording_is_masked_while_a_sensitive_collect_runs():
    apis, apps = [], []
    channel = SimpleNamespace(api=apis.append,
                              execute=lambda app, arg=None, **kw: apps.append((app, arg, list(apis)))
                              or {"variable_card": "4111111111111111"})
    call_log = MemoryCallLog()
    call_log.append("c1", "recording", "/rec/c1.wav")
    deps = SimpleNamespace(call_log=call_log, config=SimpleNamespace(prompts_dir="/p"))
    session = SimpleNamespace(deps=deps, call=SimpleNamespace(id="c1", language="en"), channel=channel,
                              media=lambda: __import__("control.handlers.media", fromlist=["Media"]).Media(
                                  channel, "/p", "en"))
    runner = FlowRunner.__new__(FlowRunner)
    runner.session, runner.deps, runner.call, runner.run_ = session, deps, session.call, None
    command = Collect(prompts=(), invalid_prompt=None, min_digits=1, max_digits=19, timeout_ms=5000,
                      terminators="#", regex=r"\d+", digit_timeout_ms=3000, var="card", sensitive=True)
    assert runner.execute("Collect", command) == "4111111111111111"
    assert apps[0][0] == "play_and_get_digits" and apps[0][2] == ["uuid_record c1 mask /rec/c1.wav"]
    assert apis[-1] == "uuid_record c1 unmask /rec/c1.wav"
