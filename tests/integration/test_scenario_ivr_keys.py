"""What callers do on a real switch (issue 15), through the switch simulator (real controller,
Redis, PostgreSQL and TCP):

* a key pressed during the first words of a menu counts (the whole prompt is played by the
  play_and_get_digits that reads the key; ``playback`` drops keys, as FreeSWITCH's does);
* a key pressed while a number is said in the prompt counts too (the say phrase macro), and one
  pressed during the invalid prompt before the next try;
* DTMF A-D is an invalid choice, not "no input";
* a Mandarin `say` is spoken: the configuration declares the zh language (freeswitch-conf/);
* an overflow move stays in the IVR path of the pop and of the call record.
"""
from __future__ import annotations

import re

import pytest

from control.config import load_config
from control.ivr.prompts import prompt_path
from tests.conftest import free_port
from tests.integration.faultkit import wait_for

pytestmark = pytest.mark.integration

CALLER, MENU_DID, ZH_DID, QUEUE_DID = "+14155550100", "+18005550100", "+18005550101", "+18005550102"
ZH_QUEUE_DID = "+18005550103"
FIRST, SECOND, SORRY = "For English, press 1.", "For billing, press 2.", "Sorry, that is not a choice."
FLOWS = {
    "dids": {"default": "front", "dids": {ZH_DID: "zh", QUEUE_DID: "queued", ZH_QUEUE_DID: "zh_queued"}},
    "front": {"languages": ["en"], "start": "menu",
              "prompts": {"choose": {"en": [FIRST, SECOND]}, "sorry": {"en": SORRY}},
              "nodes": {"menu": {"type": "menu", "prompt": "choose", "options": {"1": "one", "2": "one"},
                                 "timeout_s": 0.3, "retries": 1, "invalid_prompt": "sorry",
                                 "timeout_prompt": "sorry", "default": "bye"},
                        "one": {"type": "hangup", "label": "chose"},
                        "bye": {"type": "hangup"}}},
    "zh": {"languages": ["zh"], "start": "count",
           "prompts": {"count": {"zh": ["您有", {"say": "3", "type": "NUMBER"}, "个请求。"]},
                       "confirm": {"zh": ["您的号码是", {"say": "${caller}", "type": "DIGITS"}, "确认请按一。"]}},
           "nodes": {"count": {"type": "play", "prompt": "count", "next": "confirm"},
                     "confirm": {"type": "menu", "prompt": "confirm", "options": {"1": "done"},
                                 "timeout_s": 0.3, "retries": 0, "default": "done"},
                     "done": {"type": "hangup"}}},
    "queued": {"languages": ["en"], "nodes": {"q": {"type": "queue", "queue": "support"}}},
    "zh_queued": {"languages": ["zh"], "nodes": {"q": {"type": "queue", "queue": "mandarin"}}},
}
QUEUES = {"queues": {
    "support": {"ring_timeout_s": 5, "announce_every_s": 0,
                "overflow": [{"name": "to-billing", "after_s": 1, "action": "move", "target": "billing"}]},
    "billing": {"ring_timeout_s": 5, "announce_every_s": 0},
    "mandarin": {"ring_timeout_s": 5, "announce_every_s": 1}}}


class Rig:
    def __init__(self, tmp_path, redis_url, prefix, database_url):
        from control.app import build
        from control.domain.models import Agent, AgentState
        from control.ivr.loader import flows_from_data
        from control.queues import queues_from_data
        from records.migrate import ensure_schema
        from simulator.runner import Static
        from simulator.switch import Switch

        ensure_schema(database_url)
        self.config = load_config(env={}).replace(
            database_url=database_url, redis_url=redis_url, redis_prefix=prefix, outbound_port=free_port(),
            esl_port=free_port(), records_spool=str(tmp_path / "spool.jsonl"), recordings_dir=str(tmp_path),
            prompts_dir=str(tmp_path / "prompts"), reconcile_interval_s=1)
        # a prompt part plays for 1 s: long enough to press a key inside a known part
        self.switch = Switch(controller=("127.0.0.1", self.config.outbound_port),
                             esl_listen=("127.0.0.1", self.config.esl_port), media_s=1.0)
        self.switch.start()
        self.switch.add_phone("1001", answer_after=0.2, talk_time=0.3)
        self.controller = build(self.config, flows=Static(flows_from_data(FLOWS, "test")),
                                queues=Static(queues_from_data(QUEUES, "test")))
        self.pops: list[dict] = []
        publish = self.controller.deps.publisher.publish

        def spy(channel, message):
            if message.get("type") == "offer" and channel.startswith("agent:"):
                self.pops.append(message)
            return publish(channel, message)

        self.controller.deps.publisher.publish = spy
        self.store = self.controller.deps.store
        self.store.put_agent(Agent(id="bob", extension="1001", queues=["billing"]))
        # busy on another call: the mandarin queue is staffed, so its callers hear their position
        self.store.put_agent(Agent(id="li", extension="1002", queues=["mandarin"], state=AgentState.ON_CALL))
        self.controller.start()
        assert self.controller.switch.wait_ready(10)
        self.controller.manager.agents.change("bob", AgentState.AVAILABLE)

    def path(self, text: str, language: str = "en") -> str:
        return prompt_path({"kind": "text", "text": text, "language": language}, language, self.config.prompts_dir)

    def record(self, call_id: str):
        from sqlalchemy import select

        from records.db import session_factory
        from records.models import Call

        def read():
            with session_factory(self.config.database_url)() as session:
                return session.scalars(select(Call).where(Call.call_id == call_id)).first()

        return wait_for(lambda: self.controller.deps.offload(read), 30, step=0.2, what=f"the record of {call_id}")

    def stop(self) -> None:
        self.controller.stop()
        self.switch.stop()


@pytest.fixture
def rig(tmp_path, redis_url, redis_prefix, pg_database_url):
    rig = Rig(tmp_path, redis_url, redis_prefix, pg_database_url)
    yield rig
    rig.stop()


def press_while_hearing(rig, handle, part: str, digits: str) -> None:
    ch = handle.channel
    wait_for(lambda: ch.played and ch.played[-1] == part, 10, step=0.01, what=f"the caller hearing {part}")
    ch.press(digits)


def test_a_key_pressed_during_the_first_words_of_a_menu_counts(rig):
    handle = rig.switch.place_call(CALLER, MENU_DID, patience=10)
    press_while_hearing(rig, handle, rig.path(FIRST), "1")
    assert handle.done.wait(15)
    record = rig.record(handle.uuid)
    assert record.ivr_path == ["menu menu: pressed 1", "chose", "hangup"]
    assert handle.channel.played == [rig.path(FIRST)], "the rest of the prompt plays after the key"


def test_a_key_pressed_during_the_invalid_prompt_counts_for_the_next_try(rig):
    handle = rig.switch.place_call(CALLER, MENU_DID, inputs=["7"], patience=10)
    press_while_hearing(rig, handle, rig.path(SORRY), "2")
    assert handle.done.wait(15)
    assert rig.record(handle.uuid).ivr_path == ["menu menu: invalid input '7'", "menu menu: pressed 2", "chose",
                                                "hangup"]


def test_a_key_pressed_while_a_number_is_said_counts(rig):
    handle = rig.switch.place_call(CALLER, ZH_DID, patience=10)
    said = f"say:zh NUMBER iterated {CALLER}"
    press_while_hearing(rig, handle, said, "1")
    assert handle.done.wait(15)
    assert rig.record(handle.uuid).ivr_path == ["menu confirm: pressed 1", "hangup"]


def test_mandarin_numbers_are_said_in_a_declared_language(rig):
    handle = rig.switch.place_call(CALLER, ZH_DID, patience=10)
    assert handle.done.wait(15)
    assert "say:zh NUMBER pronounced 3" in handle.channel.played
    assert rig.switch.errors == []    # FreeSWITCH: "Can't find language zh." and nothing said


def test_a_mandarin_caller_hears_the_position_and_minutes_of_the_queue_announcement(rig):
    handle = rig.switch.place_call(CALLER, ZH_QUEUE_DID, patience=6)
    assert handle.done.wait(15)
    said = [p for p in handle.channel.played if p.startswith("say:")]
    assert said[0] == "say:zh NUMBER pronounced 1", handle.channel.played          # first in line
    assert re.fullmatch(r"say:zh NUMBER pronounced [1-9][0-9]*", said[1]), handle.channel.played   # minutes
    assert rig.switch.errors == []


@pytest.mark.parametrize("key", ["A", "d"])
def test_dtmf_a_to_d_is_an_invalid_choice_not_no_input(rig, key):
    handle = rig.switch.place_call(CALLER, MENU_DID, inputs=[key], patience=10)
    assert handle.done.wait(15)
    assert rig.record(handle.uuid).ivr_path[0] == f"menu menu: invalid input '{key.upper()}'"


def test_an_overflow_move_stays_in_the_ivr_path_of_the_pop_and_the_record(rig):
    handle = rig.switch.place_call(CALLER, QUEUE_DID, patience=15)
    assert handle.done.wait(20)
    record = rig.record(handle.uuid)
    assert (record.outcome, record.agent_id, record.queue) == ("answered", "bob", "billing")
    assert record.ivr_path == ["queue support", "overflow → queue billing"]
    assert [pop["ivr_path"] for pop in rig.pops] == [["queue support", "overflow → queue billing"]]


def test_an_agent_free_during_the_announcement_takes_the_call_and_the_rest_is_not_played(rig):
    """Seen on the real switch: the announcement played part after part, so the parts left after an
    agent's bridge were played anyway, taking the caller out of the bridge, and the call was
    recorded as abandoned. One playback for the whole announcement: the bridge ends all of it."""
    from control.domain.models import Agent, AgentState

    rig.switch.add_phone("1002", answer_after=0.1, talk_time=1.5)
    handle = rig.switch.place_call(CALLER, ZH_QUEUE_DID, patience=20)
    ch = handle.channel
    wait_for(lambda: "say:zh NUMBER pronounced 1" in ch.played, 10, step=0.01, what="the position said")
    heard_before = len(ch.played)
    rig.store.put_agent(Agent(id="li", extension="1002", queues=["mandarin"], state=AgentState.AVAILABLE))
    rig.controller.manager.trigger(broadcast=True)
    assert handle.done.wait(20)
    record = rig.record(handle.uuid)
    assert (record.outcome, record.agent_id) == ("answered", "li"), (record.outcome, record.agent_id)
    assert not [p for p in ch.played[heard_before:] if p.startswith("say:")], ch.played
