"""The IVR interpreter step by step: every node kind, bad input, sub-flows, loop guard, path text."""
from __future__ import annotations

from datetime import datetime

import pytest

from control.ivr.commands import (Callback, Collect, EnterQueue, Finished, Hangup, Lookup, Prompt, QueryQueue,
                                  SetChannelVars, Transfer, Voicemail)
from tests.unit.test_ivr_helpers import MONDAY_10AM, NY, flows, start

MENU = """
main:
  languages: [en, zh]
  prompts:
    menu: {en: "Press 1 or 2.", zh: "请按一或二。"}
    invalid: {en: "Invalid.", zh: "无效。"}
    timeout: {en: "Nothing heard.", zh: "没有听到。"}
    one: {en: "One.", zh: "一。"}
    two: {en: "Two.", zh: "二。"}
  nodes:
    m:
      type: menu
      prompt: menu
      options:
        "1": one
        "2": {next: two, language: zh}
        "3": three
      retries: 2
      invalid_prompt: invalid
      timeout_prompt: timeout
      default: fallback
    one: {type: play, prompt: one}
    two: {type: play, prompt: two}
    three: {type: play, prompt: one}
    fallback: {type: hangup, prompt: one, cause: NORMAL_CLEARING}
"""


def texts(cmd):
    return [p.text for p in cmd.prompts]


def test_menu_valid_digit_goes_to_its_node_and_ends_self_service():
    run, cmd = start(flows(MENU))
    assert isinstance(cmd, Collect)
    assert cmd.prompts == (Prompt(kind="text", text="Press 1 or 2.", language="en"),)
    assert (cmd.min_digits, cmd.max_digits) == (1, 1)
    cmd = run.resume("1", MONDAY_10AM)
    assert texts(cmd) == ["One."]
    assert run.resume(None, MONDAY_10AM) == Finished("self_service")
    assert run.path == ["menu m: pressed 1"]
    assert run.done and run.outcome == "self_service"


def test_menu_option_sets_language_and_later_prompts_use_it():
    run, _ = start(flows(MENU))
    cmd = run.resume("2")
    assert run.state.language == "zh" and run.state.language_chosen
    assert cmd.prompts == (Prompt(kind="text", text="二。", language="zh"),)
    assert run.path == ["menu m: pressed 2 (language zh)"]


def test_garbage_dtmf_plays_invalid_prompt_then_retries():
    run, _ = start(flows(MENU))
    cmd = run.resume("*#9")
    # the invalid prompt leads the next try's Collect: a key pressed during it counts
    assert isinstance(cmd, Collect) and texts(cmd) == ["Invalid.", "Press 1 or 2."]
    assert texts(run.resume("3")) == ["One."]
    assert run.path == ["menu m: invalid input '*#9'", "menu m: pressed 3"]


def test_timeout_plays_timeout_prompt_not_invalid_prompt():
    run, _ = start(flows(MENU))
    assert texts(run.resume("")) == ["Nothing heard.", "Press 1 or 2."]
    assert run.path == ["menu m: no input"]


def test_menu_max_retries_goes_to_default():
    run, _ = start(flows(MENU))
    run.resume("9")          # 1st: invalid -> collect again, after the invalid prompt
    run.resume("")           # 2nd: timeout -> collect again, after the timeout prompt
    cmd = run.resume("7")    # 3rd and last try: no retry prompt, default node plays then hangs up
    assert texts(cmd) == ["One."]
    assert isinstance(run.resume(None), Hangup)
    assert run.path[-2:] == ["menu m: no valid choice after 3 tries", "hangup"]


def test_menu_without_default_hangs_up_with_reason_and_failed_outcome():
    fs = flows("""
    main:
      nodes:
        m: {type: menu, prompt: {en: "Press 1."}, options: {"1": done}, retries: 0}
        done: {type: return}
    """)
    run, _ = start(fs)
    cmd = run.resume("5")
    assert isinstance(cmd, Hangup) and "no valid choice" in cmd.reason
    assert run.outcome == "failed"


def test_menu_no_input_target_when_the_caller_stays_silent():
    fs = flows("""
    main:
      nodes:
        m: {type: menu, prompt: {en: "Press 1."}, options: {"1": a}, retries: 1, no_input: silent, default: a}
        a: {type: play, prompt: {en: "A"}}
        silent: {type: play, prompt: {en: "Silent"}}
    """)
    run, _ = start(fs)
    run.resume("")
    assert texts(run.resume("")) == ["Silent"]


def test_non_string_collect_result_is_no_input():
    run, _ = start(flows(MENU))
    assert texts(run.resume(None)) == ["Nothing heard.", "Press 1 or 2."]


COLLECT = """
main:
  nodes:
    acct:
      type: collect
      prompt: {en: "Account?"}
      var: account
      min_digits: 4
      max_digits: 10
      pattern: '[1-9][0-9]*'
      terminator: "#"
      retries: 1
      invalid_prompt: {en: "Bad."}
      next: ok
      on_fail: failed
    ok: {type: play, prompt: {en: [{say: "${account}", type: DIGITS}]}}
    failed: {type: play, prompt: {en: "Failed."}}
"""


def test_collect_stores_digits_and_reads_them_back_with_say():
    run, cmd = start(flows(COLLECT))
    # max_digits 10: the switch listens for 11, so a longer entry is seen and refused
    assert cmd.max_digits == 11 and cmd.terminators == "#" and cmd.var == "account"
    assert cmd.timeout_ms == 8000 and cmd.digit_timeout_ms == 3000
    cmd = run.resume("12345#")
    assert run.state.vars["account"] == "12345"
    assert cmd.prompts == (Prompt(kind="say", text="12345", say_type="NUMBER", method="iterated", language="en"),)
    assert run.path == ["entered account 12345"]


@pytest.mark.parametrize("entry, shown", [
    ("1" * 50, "'11111111...' (50 digits)"),   # 50 digits at once: longer than max_digits
    ("12", "'12'"),                             # too short
    ("01234", "'01234'"),                       # fails the pattern
    ("12a4", "'12a4'"),                         # not DTMF at all
])
def test_collect_rejects_bad_entries_then_gives_up(entry, shown):
    run, _ = start(flows(COLLECT))
    cmd = run.resume(entry)
    assert isinstance(cmd, Collect) and texts(cmd) == ["Bad.", "Account?"]
    assert run.path == [f"account: invalid entry {shown} (want 4-10 digits)"]
    assert texts(run.resume(entry)) == ["Failed."]
    assert "account" not in run.state.vars
    assert run.path[-1] == "account: gave up after 2 tries"


LOOKUP = """
main:
  languages: [en, zh]
  nodes:
    who: {type: lookup, by: caller, found: tier, not_found: nobody}
    tier:
      type: branch
      cases:
        - {when: {field: customer.tier, in: [vip, platinum]}, next: vip, label: VIP}
        - {when: {field: customer.open_tickets, gte: 2}, next: busy, label: many tickets}
        - {when: {all: [{field: customer.fields.plan, exists: true}, {not: {field: language, equals: zh}}]},
           next: plan, label: has plan}
      default: nobody
    vip: {type: play, prompt: {"*": {file: vip.wav}}}
    busy: {type: play, prompt: {"*": {file: busy.wav}}}
    plan: {type: play, prompt: {"*": {file: plan.wav}}}
    nobody: {type: play, prompt: {"*": {file: nobody.wav}}}
"""


def played_file(cmd):
    return cmd.prompts[0].file


def test_lookup_by_caller_found_vip_takes_language_from_record():
    run, cmd = start(flows(LOOKUP))
    assert cmd == Lookup(by="caller", value="+14155550100")
    cmd = run.resume({"id": 1, "tier": "vip", "language": "zh"})
    assert played_file(cmd) == "vip.wav"
    assert run.state.language == "zh"
    assert run.path == ["lookup caller +14155550100: found (vip)", "tier: VIP"]


@pytest.mark.parametrize("customer, expected", [
    ({"tier": "gold", "open_tickets": [{"id": 1}, {"id": 2}]}, "busy.wav"),
    ({"tier": "gold", "open_tickets": [{"id": 1}], "fields": {"plan": "Basic"}}, "plan.wav"),
    ({"tier": "gold", "open_tickets": [], "fields": {"plan": "Basic"}, "language": "zh"}, "nobody.wav"),
    (None, "nobody.wav"),
    ("garbage", "nobody.wav"),
])
def test_branch_on_customer_fields(customer, expected):
    run, _ = start(flows(LOOKUP))
    assert played_file(run.resume(customer)) == expected


def test_anonymous_caller_skips_the_lookup():
    run, cmd = start(flows(LOOKUP), caller="anonymous")
    assert played_file(cmd) == "nobody.wav"
    assert run.path == ["lookup caller: nothing to look up"]


def test_lookup_by_account_uses_collected_digits():
    fs = flows("""
    main:
      nodes:
        a: {type: collect, prompt: {en: "Account?"}, var: account, next: find}
        find: {type: lookup, by: account, found: yes, not_found: no}
        yes: {type: play, prompt: {en: "Yes"}}
        no: {type: play, prompt: {en: "No"}}
    """)
    run, _ = start(fs)
    assert run.resume("4711#") == Lookup(by="account", value="4711")
    assert texts(run.resume(None)) == ["No"]
    assert run.path[-1] == "lookup account 4711: not found"


HOURS = """
main:
  hours:
    business:
      timezone: America/New_York
      open: {mon-fri: "08:00-20:00", sat: "09:00-13:00"}
      holidays: ["12-25", {date: "2026-12-24", open: "08:00-12:00"}]
  nodes:
    check:
      type: branch
      cases:
        - {when: {holiday: business}, next: holiday, label: holiday}
        - {when: {open: business}, next: open, label: open}
      default: closed
    holiday: {type: branch, cases: [{when: {open: business}, next: open}], default: closed}
    open: {type: play, prompt: {"*": {file: open.wav}}}
    closed: {type: play, prompt: {"*": {file: closed.wav}}}
"""


@pytest.mark.parametrize("when, expected", [
    (datetime(2026, 11, 23, 10, 0, tzinfo=NY), "open.wav"),      # Monday morning
    (datetime(2026, 11, 23, 7, 59, tzinfo=NY), "closed.wav"),    # before opening
    (datetime(2026, 11, 23, 20, 0, tzinfo=NY), "closed.wav"),    # closing time is exclusive
    (datetime(2026, 11, 28, 12, 30, tzinfo=NY), "open.wav"),     # Saturday
    (datetime(2026, 11, 29, 12, 0, tzinfo=NY), "closed.wav"),    # Sunday
    (datetime(2026, 12, 25, 10, 0, tzinfo=NY), "closed.wav"),    # Christmas, a Friday
    (datetime(2027, 12, 25, 10, 0, tzinfo=NY), "closed.wav"),    # MM-DD repeats every year
    (datetime(2026, 12, 24, 11, 0, tzinfo=NY), "open.wav"),      # short day
    (datetime(2026, 12, 24, 13, 0, tzinfo=NY), "closed.wav"),
    (datetime.fromisoformat("2026-11-23T14:00:00+00:00"), "open.wav"),    # 09:00 in New York
    (datetime.fromisoformat("2026-11-23T12:30:00+00:00"), "closed.wav"),  # 07:30 in New York
    (datetime.fromisoformat("2026-11-24T00:30:00+08:00"), "open.wav"),    # Shanghai midnight = 11:30 NY
])
def test_business_hours_and_holidays_in_the_flow_time_zone(when, expected):
    run, cmd = start(flows(HOURS), now=when)
    assert played_file(cmd) == expected


def test_holiday_path_names_the_case():
    run, _ = start(flows(HOURS), now=datetime(2026, 12, 24, 11, 0, tzinfo=NY))
    assert run.path == ["check: holiday", "holiday: case 1"]


QUEUES = """
main:
  nodes:
    check:
      type: branch
      cases:
        - {when: {queue: support, stat: agents_available, gte: 1}, next: now, label: agent free}
        - {when: {queue: support, stat: estimated_wait_s, lt: 300}, next: soon, label: short wait}
        - {when: {queue: sales, stat: agents_logged_in, gt: 0}, next: sales}
      default: later
    now: {type: play, prompt: {"*": {file: now.wav}}}
    soon: {type: play, prompt: {"*": {file: soon.wav}}}
    sales: {type: play, prompt: {"*": {file: sales.wav}}}
    later: {type: play, prompt: {"*": {file: later.wav}}}
"""


def test_queue_conditions_query_each_queue_once():
    run, cmd = start(flows(QUEUES))
    assert cmd == QueryQueue("support")
    cmd = run.resume({"agents_available": 0, "agents_logged_in": 3, "waiting": 4, "estimated_wait_s": 120.0})
    assert played_file(cmd) == "soon.wav"   # second condition reused the stats, no second query
    assert run.path == ["check: short wait"]


def test_queue_conditions_fall_through_to_other_queue_and_default():
    run, _ = start(flows(QUEUES))
    cmd = run.resume({"agents_available": 0, "estimated_wait_s": 900.0})
    assert cmd == QueryQueue("sales")
    assert played_file(run.resume(None)) == "later.wav"   # a missing result: conditions are false


SET_QUEUE = """
main:
  languages: [en, zh]
  nodes:
    pick:
      type: set
      skills: {billing: 5, english: 3}
      priority: 7
      language: zh
      vars: {reason: billing, who: "${caller}"}
      channel_vars: {hotline_reason: "${reason}"}
      next: q
    q:
      type: queue
      queue: billing
      skills: {english: 6}
      exit_keys: {"9": menu}
      on_error: sorry
    menu: {type: play, prompt: {"*": {file: menu.wav}}}
    sorry: {type: play, prompt: {"*": {file: sorry.wav}}}
"""


def test_set_then_queue_carries_skills_priority_language():
    run, cmd = start(flows(SET_QUEUE))
    assert cmd == SetChannelVars({"hotline_reason": "billing"})
    cmd = run.resume(None)
    assert cmd == EnterQueue(queue="billing", requirements=(("billing", 5), ("english", 6)), priority=7,
                             language="zh")
    assert run.state.vars == {"reason": "billing", "who": "+14155550100"}
    assert run.resume({"left": "answered"}) == Finished("answered")
    assert run.path == ["queue billing"]


@pytest.mark.parametrize("result, expected, note", [
    ({"left": "exit_key", "digit": "9"}, "menu.wav", "queue billing: pressed 9"),
    ({"left": "overflow", "action": "ivr", "goto": "menu"}, "menu.wav", "queue billing: overflow → menu"),
    ({"left": "error", "reason": "unknown queue billing"}, "sorry.wav",
     "queue billing: left (error: unknown queue billing)"),
    ("nonsense", "sorry.wav", "queue billing: left (error: no result)"),
])
def test_leaving_the_queue_continues_where_the_result_says(result, expected, note):
    run, _ = start(flows(SET_QUEUE))
    run.resume(None)
    assert played_file(run.resume(result)) == expected
    assert note in run.path


def test_queue_exit_to_voicemail_done_by_the_controller_ends_the_flow():
    run, _ = start(flows(SET_QUEUE))
    run.resume(None)
    assert run.resume({"left": "exit_key", "action": "callback", "goto": None, "digit": "1"}) == Finished("callback")


def test_queue_overflow_goto_another_flow():
    fs = flows(SET_QUEUE + """
other:
  nodes:
    hi: {type: play, prompt: {"*": {file: other.wav}}}
""")
    run, _ = start(fs)
    run.resume(None)
    assert played_file(run.resume({"left": "overflow", "goto": "other"})) == "other.wav"
    assert run.path[-1] == "goto flow other"


ENDINGS = """
main:
  nodes:
    m:
      type: menu
      prompt: {en: "Choose."}
      options: {"1": vm, "2": cb, "3": xfer, "4": ext, "5": bye}
    vm: {type: voicemail, box: sales, prompt: {en: ["Leave a message", {file: beep.wav}]}}
    cb:
      type: callback
      confirm_prompt: {en: ["We will call", {say: "${caller}", type: DIGITS}, "Press 1 or 2."]}
      number_prompt: {en: "Enter your number."}
      done_prompt: {en: "Thanks."}
      invalid_prompt: {en: "Invalid."}
      retries: 1
      on_fail: vm
    xfer: {type: transfer, to: "2001"}
    ext: {type: transfer, to: "+14155550999", prompt: {en: "Transferring."}}
    bye: {type: hangup, cause: USER_BUSY, prompt: {en: "Bye."}}
"""


def test_voicemail_plays_leading_items_then_records():
    run, _ = start(flows(ENDINGS))
    assert texts(run.resume("1")) == ["Leave a message"]
    cmd = run.resume(None)
    assert cmd == Voicemail(box="sales", prompt=Prompt(kind="file", file="beep.wav", language="en"))
    assert run.resume(None) == Finished("voicemail")
    assert run.path == ["menu m: pressed 1", "voicemail sales"]


def test_callback_caller_confirms_own_number():
    run, _ = start(flows(ENDINGS))
    cmd = run.resume("2")
    assert isinstance(cmd, Collect)   # the whole confirmation is the Collect's prompt: keys count from its first word
    assert texts(cmd) == ["We will call", "+14155550100", "Press 1 or 2."]
    assert cmd.prompts[1].say_type == "NUMBER" and cmd.prompts[1].method == "iterated"
    cmd = run.resume("1")
    assert cmd == Callback(number="+14155550100", prompt=Prompt(kind="text", text="Thanks.", language="en"))
    assert run.resume(None) == Finished("callback")
    assert run.path == ["menu m: pressed 2", "callback: caller confirmed own number",
                        "callback requested to +14155550100"]


def test_callback_to_another_number():
    run, _ = start(flows(ENDINGS))
    run.resume("2")
    cmd = run.resume("2")
    assert isinstance(cmd, Collect) and texts(cmd) == ["Enter your number."] and cmd.max_digits == 16
    assert run.resume("4155550123#").number == "4155550123"


def test_callback_anonymous_caller_is_asked_for_a_number_and_bad_numbers_fall_back():
    run, _ = start(flows(ENDINGS), caller="anonymous")
    cmd = run.resume("2")
    assert texts(cmd) == ["Enter your number."]
    assert texts(run.resume("12")) == ["Invalid.", "Enter your number."]   # too short
    assert texts(run.resume("")) == ["Leave a message"]  # on_fail: voicemail
    assert "callback: no number entered" in run.path


def test_transfer_to_extension_and_external_number():
    run, _ = start(flows(ENDINGS))
    assert run.resume("3") == Transfer(target="2001", kind="extension")
    assert run.resume(None) == Finished("transferred")
    run, _ = start(flows(ENDINGS))
    run.resume("4")
    assert run.resume(None) == Transfer(target="+14155550999", kind="external")


def test_hangup_node_plays_then_hangs_up_with_its_cause():
    run, _ = start(flows(ENDINGS))
    assert texts(run.resume("5")) == ["Bye."]
    cmd = run.resume(None)
    assert cmd.cause == "USER_BUSY"
    assert run.done and run.resume("1") is cmd   # nothing runs after a terminal command


SUBFLOWS = """
main:
  nodes:
    c: {type: call, flow: sub, next: after}
    after: {type: play, prompt: {"*": {file: after.wav}}}
sub:
  nodes:
    s: {type: set, label: in sub, vars: {seen: "yes"}, next: r}
    r: {type: return}
"""


def test_call_a_sub_flow_and_return():
    run, cmd = start(flows(SUBFLOWS))
    assert played_file(cmd) == "after.wav"
    assert run.state.vars["seen"] == "yes"
    assert run.path == ["call flow sub", "in sub", "back from flow sub"]
    assert run.resume(None) == Finished("self_service")


def test_loop_guard_hangs_up_with_a_reason():
    fs = flows("""
    main:
      max_steps: 10
      nodes:
        a: {type: play, prompt: {"*": {file: a.wav}}, next: b}
        b: {type: goto, flow: main, node: a}
    """)
    run, cmd = start(fs)
    for _ in range(20):
        if run.done:
            break
        cmd = run.resume(None)
    assert isinstance(cmd, Hangup) and "loop guard" in cmd.reason
    assert run.path[-1] == "loop guard: more than 10 steps, hanging up"
    assert run.outcome == "failed"


def test_abandon_mid_prompt_is_recorded():
    run, cmd = start(flows(MENU))
    run.abandon(MONDAY_10AM)
    assert run.done and run.outcome == "abandoned"
    assert run.path == ["caller hung up during menu m"]
    assert run.resume("1") == Finished("abandoned")


def test_unknown_language_falls_back_to_the_flow_first_language():
    run, cmd = start(flows(MENU), language="fr")
    assert run.state.language == "en" and cmd.prompts[0].language == "en"
