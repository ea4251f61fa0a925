"""Console actions and the callback dialer on a real FreeSWITCH (skipped unless
HOTLINE_FREESWITCH_BIN names a freeswitch binary): hold/unhold, attended transfer, a callback's
agent and customer legs. Same switch, controller and helpers as test_real_freeswitch.py."""
from __future__ import annotations

import os
import time

import pytest

from tests.integration.realswitch import b_leg, call_row, execute, originate, start_controller, stop
from tests.integration.test_real_freeswitch import (AGENT_ID, BIN, DID, MENU_DID,  # noqa: F401
                                                    _render_fs, controller, switch)

pytestmark = [pytest.mark.freeswitch,
              pytest.mark.skipif(not BIN, reason="set HOTLINE_FREESWITCH_BIN to a freeswitch binary")]


def _publish_action(prefix: str, action: str, call_id: str, **extra: str) -> None:
    """What the console does: a call action on the control channel, for the controller that owns it."""
    import redis

    from control.store.publisher import RedisPublisher

    client = redis.Redis.from_url(os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    RedisPublisher(client, prefix).publish("control", {"type": "call_action", "action": action, "call_id": call_id,
                                                       "by": "fs-real-test", **extra})
    client.close()


def test_hold_feeds_hold_music_to_the_caller_and_unhold_restores_the_bridge(switch, controller):
    """call_actions holds the agent's leg: FreeSWITCH's switch_ivr_hold plays the held channel's
    hold music to its partner, the caller."""
    from control.handlers.features import OK_TONE

    events = controller.events
    caller_a = originate(switch, {"origination_caller_id_number": "+14155550155"}, f"loopback/{DID}/public",
                         app="echo()")
    caller = b_leg(events, caller_a, "socket")
    events.wait("hold music (nobody is logged in)", execute("playback", "local_stream://moh", caller))
    for code in ("*21", "*24"):   # log in, ready
        leg = originate(switch, {"hotline_agent": AGENT_ID}, f"loopback/{code}/internal")
        events.wait(f"the OK tone for {code}", execute("playback", OK_TONE, b_leg(events, leg, "socket")))
    bridge = events.wait("the caller bridged to the agent",
                         lambda e: e.get("Event-Name") == "CHANNEL_BRIDGE" and caller in
                         (e.get("Unique-ID"), e.get("Other-Leg-Unique-ID")))
    agent_leg = bridge["Other-Leg-Unique-ID"] if bridge["Unique-ID"] == caller else bridge["Unique-ID"]

    # An agent presses hold a moment after answering. Held within ~0.1 s of uuid_bridge, FreeSWITCH
    # answers +OK and fires CHANNEL_HOLD but feeds the caller nothing (seen on 1.11.2; see docs).
    time.sleep(1.0)
    mark = len(events.seen)
    _publish_action(controller.prefix, "hold", caller)
    events.wait("the agent's leg held", lambda e: events.seen.index(e) >= mark
                and e.get("Event-Name") == "CHANNEL_HOLD" and e.get("Unique-ID") == agent_leg)
    music = events.wait("hold music fed to the caller", lambda e: events.seen.index(e) >= mark
                        and e.get("Event-Name") == "CHANNEL_EXECUTE" and e.get("Unique-ID") == caller
                        and "local_stream://moh" in e.get("Application-Data", ""))
    assert switch.api(f"uuid_getvar {caller} current_application").strip() == music["Application"]

    unheld = len(events.seen)
    _publish_action(controller.prefix, "unhold", caller)
    events.wait("the agent's leg taken off hold", lambda e: events.seen.index(e) >= unheld
                and e.get("Event-Name") == "CHANNEL_UNHOLD" and e.get("Unique-ID") == agent_leg)
    events.wait("the hold music stopped", lambda e: e.get("Event-Name") == "CHANNEL_EXECUTE_COMPLETE"
                and e.get("Application-UUID") == music.get("Application-UUID") and e.get("Unique-ID") == caller)
    assert not [e for e in events.seen[mark:] if e.get("Event-Name") in ("CHANNEL_UNBRIDGE", "CHANNEL_HANGUP_COMPLETE")
                and e.get("Unique-ID") in (caller, agent_leg)], "the bridge ended"
    bridged = switch.api("show bridged_calls")
    assert caller in bridged and agent_leg in bridged, bridged
    assert switch.api(f"uuid_kill {agent_leg}").startswith("+OK")


def test_a_callback_rings_the_agent_then_dials_the_customer_and_bridges(switch, controller, pg_database_url):
    """callback_offer.py on the real switch: the agent's phone is rung over SIP, then the customer's
    number is dialled (here the echo test through loopback, as no trunk exists) and bridged."""
    from control.handlers.features import OK_TONE

    events = controller.events
    # nobody is logged in (an agent left available by an earlier test would be offered the call, and
    # a caller with an agent ringing cannot leave the queue by its exit key)
    leg = originate(switch, {"hotline_agent": AGENT_ID}, "loopback/*22/internal")
    events.wait("the tone for *22", lambda e: e.get("Event-Name") == "CHANNEL_EXECUTE"
                and e.get("Application") == "playback" and "tone_stream://" in e.get("Application-Data", "")
                and e.get("variable_other_loopback_leg_uuid") == leg)
    caller_a = originate(switch, {"origination_caller_id_number": "+14155550144"}, f"loopback/{MENU_DID}/public")
    caller = b_leg(events, caller_a, "socket")
    events.wait("the menu", execute("play_and_get_digits", None, caller))
    assert switch.api(f"uuid_recv_dtmf {caller} 1").startswith("+OK")
    events.wait("hold music", execute("playback", "local_stream://moh", caller))
    assert switch.api(f"uuid_recv_dtmf {caller} 1").startswith("+OK")   # exit key: call me back
    events.wait("the caller hung up", lambda e: e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE"
                and e.get("Unique-ID") == caller)
    for code in ("*21", "*24"):   # an agent becomes available: the callback is served
        leg = originate(switch, {"hotline_agent": AGENT_ID}, f"loopback/{code}/internal")
        events.wait(f"the OK tone for {code}", execute("playback", OK_TONE, b_leg(events, leg, "socket")))
    cb_id = f"cb-{caller}"
    bridge = events.wait("the agent bridged to the customer", lambda e: e.get("Event-Name") == "CHANNEL_BRIDGE"
                         and e.get("variable_hotline_call") == cb_id, timeout=60)
    legs = {bridge["Unique-ID"], bridge["Other-Leg-Unique-ID"]}
    names = {switch.api(f"uuid_getvar {leg} channel_name").strip() for leg in legs}
    assert any(n.startswith("sofia/internal/") for n in names) and any(n.startswith("loopback/") for n in names), names
    for leg in legs:
        switch.api(f"uuid_kill {leg}")
    row = call_row(pg_database_url, cb_id)
    assert (row.outcome, row.agent_id) == ("answered", AGENT_ID)


AGENT2_ID, AGENT2_EXT = "fs-real-agent2", "1903"


def _second_agent_phone(switch, database_url: str) -> None:
    """Another agent (queue fsother, so callers of fsreal reach the first one) with a registered phone."""
    from records.db import session_factory
    from records.models import Agent

    with session_factory(database_url)() as session:
        if session.get(Agent, AGENT2_ID) is None:
            session.add(Agent(id=AGENT2_ID, name="Real Test 2", extension=AGENT2_EXT, sip_password="",
                              queues=["fsother"]))
            session.commit()
    _render_fs(switch, database_url)
    with session_factory(database_url)() as session:
        switch.register_phone(AGENT2_EXT, session.get(Agent, AGENT2_ID).sip_password)


def test_attended_transfer_consults_a_second_agent_then_hands_the_caller_over(switch, controller, pg_database_url):
    """consult.py on the real switch: the caller leaves the agent's bridge for hold music
    (uuid_transfer ... endless_playback inline, under its outbound socket), the consult leg rings
    the second agent over SIP and is bridged to the first; complete bridges the caller to it."""
    from control.handlers.features import OK_TONE

    _second_agent_phone(switch, pg_database_url)
    stop(controller.proc)   # a controller reads the agents from the database when it starts
    controller.proc = start_controller(controller.env, controller.log)
    events = controller.events
    for code in ("*21", "*24"):
        leg = originate(switch, {"hotline_agent": AGENT_ID}, f"loopback/{code}/internal")
        events.wait(f"the OK tone for {code}", execute("playback", OK_TONE, b_leg(events, leg, "socket")))
    caller_a = originate(switch, {"origination_caller_id_number": "+14155550133"}, f"loopback/{DID}/public")
    caller = b_leg(events, caller_a, "socket")
    bridge = events.wait("the caller bridged to the first agent",
                         lambda e: e.get("Event-Name") == "CHANNEL_BRIDGE" and caller in
                         (e.get("Unique-ID"), e.get("Other-Leg-Unique-ID")))
    agent_leg = bridge["Other-Leg-Unique-ID"] if bridge["Unique-ID"] == caller else bridge["Unique-ID"]
    for code in ("*21", "*24"):
        leg = originate(switch, {"hotline_agent": AGENT2_ID}, f"loopback/{code}/internal")
        events.wait(f"the OK tone for {code} (second agent)",
                    execute("playback", OK_TONE, b_leg(events, leg, "socket")))

    mark = len(events.seen)
    _publish_action(controller.prefix, "transfer", caller, kind="attended", to="agent", target=AGENT2_ID)
    events.wait("the caller on hold music", lambda e: events.seen.index(e) >= mark
                and execute("endless_playback", "local_stream://moh", caller)(e))
    consult = events.wait("the first agent bridged to the second", lambda e: events.seen.index(e) >= mark
                          and e.get("Event-Name") == "CHANNEL_BRIDGE"
                          and agent_leg in (e.get("Unique-ID"), e.get("Other-Leg-Unique-ID")))
    consult_leg = consult["Other-Leg-Unique-ID"] if consult["Unique-ID"] == agent_leg else consult["Unique-ID"]
    assert switch.api(f"uuid_getvar {consult_leg} hotline_agent").strip() == AGENT2_ID

    done = len(events.seen)
    _publish_action(controller.prefix, "transfer_complete", caller)
    events.wait("the caller bridged to the second agent", lambda e: events.seen.index(e) >= done
                and e.get("Event-Name") == "CHANNEL_BRIDGE"
                and {e.get("Unique-ID"), e.get("Other-Leg-Unique-ID")} == {caller, consult_leg})
    events.wait("the first agent's leg hung up", lambda e: e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE"
                and e.get("Unique-ID") == agent_leg)
    assert switch.api(f"uuid_kill {consult_leg}").startswith("+OK")
    row = call_row(pg_database_url, caller)
    assert row.agent_id == AGENT2_ID and row.offers[-1] == AGENT2_ID, (row.agent_id, row.offers)
