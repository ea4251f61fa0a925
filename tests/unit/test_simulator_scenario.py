"""Scenario files: a full one loads into dataclasses; mistakes name the file and line."""
from __future__ import annotations

import pytest

from control.yamlfile import ConfigError, ConfigErrors
from simulator.apps import expand, media_seconds
from simulator.scenario import loads_scenario

GOOD = """\
name: small-day
defaults: {did: "+18005550100"}
customers: [{number: "+14155550100", name: "Ann Lee", tier: vip, tags: [returns], fields: {account: "12345"}}]
skills: [english, billing]
agents:
  - {id: alice, extension: "1001", skills: {english: 8, billing: 5}, answer_after: 1.0, talk_time: 4, wrap_up: 2}
  - {id: bob, extension: "1002", answer_after: never}
calls:
  - {at: 2.5, caller: "+14155550101", dtmf: [null, {after: 3, digits: "1"}]}
  - {at: 0.5, caller: "+14155550100", did: "+18005550199", dtmf: ["2"], patience: 30}
"""


def test_full_scenario_loads_sorted_with_defaults():
    sc = loads_scenario(GOOD, "day.yaml")
    assert sc.name == "small-day" and sc.customers[0]["tier"] == "vip"
    assert [a.answer_after for a in sc.agents] == [1.0, "never"]
    assert sc.agents[0].skills == {"english": 8, "billing": 5} and sc.agents[0].wrap_up == 2
    assert [c.at for c in sc.calls] == [0.5, 2.5]
    assert sc.calls[0].did == "+18005550199" and sc.calls[1].did == "+18005550100"
    assert sc.calls[1].dtmf == [None, {"after": 3, "digits": "1"}]


def test_unknown_skill_is_reported_with_its_line():
    bad = GOOD.replace("billing: 5", "billling: 5")
    with pytest.raises(ConfigErrors) as err:
        loads_scenario(bad, "day.yaml")
    assert "day.yaml:6" in str(err.value) and "billling" in str(err.value)


def test_schema_error_names_the_line():
    bad = GOOD.replace('{at: 0.5,', '{at: soon,')
    with pytest.raises(ConfigErrors) as err:
        loads_scenario(bad, "day.yaml")
    assert "day.yaml:10" in str(err.value)


def test_broken_yaml_is_a_config_error():
    with pytest.raises(ConfigError):
        loads_scenario("name: [unclosed\n", "x.yaml")


class _Sw:
    media_s = 0.2


class _Ch:
    switch = _Sw()


@pytest.mark.parametrize("path,seconds", [
    ("tone_stream://%(1000,0,350)", 1.0), ("tone_stream://%(500,250,440)", 0.75),
    ("silence_stream://300", 0.3), ("local_stream://moh", None), ("/prompts/welcome.wav", 0.2)])
def test_media_durations(path, seconds):
    assert media_seconds(_Ch(), path) == seconds


def test_variable_expansion():
    assert expand("caller_choice=${ivr_choice}", {"ivr_choice": "2"}) == "caller_choice=2"
    assert expand("x=${missing}", {}) == "x="


def test_originate_arguments_keep_quoted_values_with_spaces():
    from simulator.fs_strings import originate

    variables, target, rest = originate("{origination_uuid=x,origination_caller_id_name='Ann Lee'}user/1001 &park()")
    assert rest == "&park()"
    assert target == "user/1001" and variables["origination_caller_id_name"] == "Ann Lee"
