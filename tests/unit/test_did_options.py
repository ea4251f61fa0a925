"""A number's own settings in the DID map: the language its callers start in and calendars used in
place of the flow's (an extended-hours line), validated against the flow."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from control.ivr.dry_run import dry_run
from control.ivr.loader import flows_from_data
from control.yamlfile import ConfigErrors

FLOW = {
    "name": "front", "languages": ["en", "zh"], "timezone": "UTC",
    "hours": {"business": {"open": {"mon-fri": "09:00-17:00"}},
              "extended": {"open": {"mon-sun": "07:00-23:00"}}},
    "prompts": {"hi": {"en": "Hello.", "zh": "您好。"}, "closed": {"en": "We are closed.", "zh": "我们已下班。"}},
    "nodes": {
        "check": {"type": "branch", "cases": [{"when": {"open": "business"}, "next": "hi"}], "default": "closed"},
        "hi": {"type": "play", "prompt": "hi", "next": "q"},
        "closed": {"type": "hangup", "prompt": "closed"},
        "q": {"type": "queue", "queue": "support"},
    },
}
SATURDAY_NOON = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)


def flows(entry):
    return flows_from_data({"front": FLOW, "dids": {"default": "front", "dids": {"+18005550123": entry}}}, "t.yaml")


def test_a_number_uses_its_calendar_and_its_language():
    fs = flows({"flow": "front", "language": "zh", "hours": {"business": "extended"}})
    line = dry_run(fs, "front", [], SATURDAY_NOON, did="+18005550123")
    assert line.queue == "support" and line.steps[0] == "play: 您好。"    # open on Saturday, in Chinese
    other = dry_run(fs, "front", [], SATURDAY_NOON, did="+18005550999")
    assert other.queue is None and other.steps[0] == "play: We are closed."   # the flow's own calendar


@pytest.mark.parametrize("entry,problem", [
    ({"flow": "front", "language": "fr"}, "has no language 'fr'"),
    ({"flow": "front", "hours": {"business": "weekend"}}, "has no calendar 'weekend'"),
    ({"flow": "back"}, "unknown flow 'back'"),
    ({"flow": "front", "colour": "blue"}, "colour"),
])
def test_a_number_setting_the_flow_cannot_honour_is_refused(entry, problem):
    with pytest.raises(ConfigErrors) as refused:
        flows(entry)
    assert problem in str(refused.value)


def test_a_plain_entry_still_names_just_the_flow():
    assert flows("front").dids == {"+18005550123": "front"}
