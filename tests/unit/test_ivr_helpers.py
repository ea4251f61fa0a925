"""Shared helpers for the IVR tests (no tests here): build flows from YAML text, start a FlowRun."""
from __future__ import annotations

import textwrap
from datetime import datetime
from zoneinfo import ZoneInfo

from control.ivr.interpreter import CallContext, FlowRun
from control.ivr.loader import flows_from_data
from control.yamlfile import loads

NY = ZoneInfo("America/New_York")
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=NY)


def flows(text: str, queues=None):
    """A FlowSet from YAML text holding ``{flow_name: flow, ...}`` (line numbers included)."""
    text = textwrap.dedent(text)
    data, _ = loads(text, "test.yaml")
    return flows_from_data(data, "test.yaml", queues=queues, text=text, prefix=())


def start(flowset, name="main", caller="+14155550100", now=MONDAY_10AM, language="en", customer=None):
    run = FlowRun(flowset, name, CallContext(caller=caller, did="+18005550100", now=now, language=language,
                                             customer=customer))
    return run, run.start(now)
