"""Hypothesis feeds YAML-shaped data to the queue and flow validators: the answer is always a result
or ConfigErrors (a clear message for the admin), never another exception."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from control.ivr.loader import flows_from_data
from control.queues import queues_from_data
from control.yamlfile import ConfigError, ConfigErrors

KEYS = ["queues", "support", "billing", "strategy", "requirements", "ring_timeout_s", "wrap_up_s", "overflow",
        "exit_keys", "action", "target", "after_s", "name", "nodes", "type", "queue", "next", "prompt", "options",
        "start", "languages", "prompts", "dids", "default", "menu", "play", "hangup", "timeout_s", "retries",
        "tier_boost", "relax", "hours", "en", "1", "*", "", "\u00e9t\u00e9", "x" * 70]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.sampled_from(["top-down", "longest-idle-agent", "round-robin", "queue", "menu", "play",
                                     "hangup", "support", "english", "callback", "voicemail", "widen", "-1", "1e309"]),
                    st.text(max_size=20))
YAMLISH = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(KEYS), st.integers(0, 9), st.text(max_size=8)), inner, max_size=5)),
    max_leaves=25)


def _queue_shaped(body):
    return {"queues": {"support": body}} if isinstance(body, dict) else {"queues": body}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(YAMLISH, YAMLISH.map(_queue_shaped)))
def test_queue_validator_returns_queues_or_config_errors(data):
    try:
        result = queues_from_data(data, "fuzz.yaml")
    except (ConfigErrors, ConfigError) as exc:
        assert str(exc)
        return
    assert isinstance(result, dict)


def _flow_shaped(nodes):
    return {"front": {"languages": ["en"], "nodes": nodes}, "dids": {"default": "front"}}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(YAMLISH, YAMLISH.map(_flow_shaped),
                 st.dictionaries(st.sampled_from(["start", "q", "menu", "bye"]), YAMLISH, max_size=4).map(_flow_shaped)))
def test_flow_validator_returns_flows_or_config_errors(data):
    try:
        result = flows_from_data(data, "fuzz.yaml", queues=["support"])
    except (ConfigErrors, ConfigError) as exc:
        assert str(exc)
        return
    assert result.flows
