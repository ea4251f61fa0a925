"""Object-level access (issue 16, part 4): an agent changes only calls they handled, and outside
numbers pass an allow-list per role or queue, in the console and in the dialplan.

Each attack here succeeded before: alice changed bob's live call, and any number could be dialled."""
from __future__ import annotations

import re
import shutil
import time
import xml.etree.ElementTree as ET

import pytest
import yaml

from control.config import DEFAULTS, ROOT
from tests.unit.test_web_console import control_messages, live_call, rows
from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401

BOBS = "c-bob"


def bobs_live_call(app, queue="billing"):
    live_call(app, call_id=BOBS, agent="bob", queue=queue)


def add_record(app, call_id, agent_id):
    from records.models import Call
    from web.extensions import db

    with app.app_context():
        db.session.add(Call(call_id=call_id, agent_id=agent_id, ivr_path=[], offers=[], explanations=[]))
        db.session.commit()


CHANGES = [  # (path, body): every route that writes on a call
    (f"/api/calls/{BOBS}/disposition", {"disposition": "resolved"}),
    (f"/api/calls/{BOBS}/follow-up", {"subject": "ring back"}),
    ("/api/notes", {"call_id": BOBS, "text": "replaced"}),
    ("/api/tickets", {"customer_id": 1, "call_id": BOBS, "subject": "linked"}),
    ("/api/callbacks", {"number": "+14155550100", "due_at": time.time() + 3600, "call_id": BOBS}),
]


@pytest.mark.parametrize("path,body", CHANGES, ids=[p for p, _ in CHANGES])
def test_an_agent_cannot_change_another_agents_live_call(web_app, client_for, path, body):
    from records.models import Call, Note, Ticket
    from records.wrapup_models import CallFacts

    bobs_live_call(web_app)
    response = client_for("alice").post(path, json=body)
    assert response.status_code == 403 and "not your call" in response.get_json()["error"]
    assert rows(web_app, Call, Call.call_id == BOBS) == []
    assert rows(web_app, Note, Note.call_id == BOBS) == [] and rows(web_app, Ticket, Ticket.call_id == BOBS) == []
    assert rows(web_app, CallFacts, CallFacts.call_id == BOBS) == []


@pytest.mark.parametrize("path,body", CHANGES, ids=[p for p, _ in CHANGES])
def test_the_agent_who_handled_it_and_supervisors_may(web_app, client_for, path, body):
    bobs_live_call(web_app)
    assert client_for("bob").post(path, json=body).status_code in (200, 201)
    assert client_for("supervisor").post(path, json=body).status_code in (200, 201)


@pytest.mark.parametrize("path,body", CHANGES, ids=[p for p, _ in CHANGES])
def test_a_recorded_call_nobody_answered_is_not_any_agents(web_app, client_for, path, body):
    add_record(web_app, BOBS, None)     # abandoned in the queue: no agent handled it
    assert client_for("alice").post(path, json=body).status_code == 403


def test_a_recorded_call_belongs_to_its_agent(web_app, client_for):
    add_record(web_app, BOBS, "bob")
    assert client_for("alice").post(f"/api/calls/{BOBS}/follow-up", json={}).status_code == 403
    assert client_for("bob").post(f"/api/calls/{BOBS}/follow-up", json={}).status_code == 201


def test_a_user_without_an_agent_cannot_act_on_a_call_nobody_has(web_app, client_for):
    """A user with no agent phone (agent_id None) must not match a call with no agent (None == None)."""
    from records.models import User
    from sqlalchemy import select
    from web.extensions import db

    with web_app.app_context():
        db.session.scalar(select(User).where(User.username == "alice")).agent_id = None
        db.session.commit()
    live_call(web_app, call_id="c-nobody", agent=None)
    assert client_for("alice").post("/api/calls/c-nobody/hangup", json={}).status_code == 403
    assert client_for("alice").post("/api/calls/c-nobody/disposition",
                                    json={"disposition": "resolved"}).status_code == 403


# -- outbound allow-list -------------------------------------------------------------------

PREMIUM = "+19005550123"           # a 900 number: the classic toll-fraud target
ABROAD = "+442079460123"


@pytest.mark.parametrize("number", [PREMIUM, ABROAD, "+19765550123"])
def test_transfers_and_callbacks_to_numbers_off_the_list_are_refused(web_app, client_for, number):
    live_call(web_app)
    alice = client_for("alice")
    for kind in ("blind", "attended"):     # attended = a consultation call to the number first
        response = alice.post("/api/calls/c-live/transfer", json={"to": "external", "target": number, "kind": kind})
        assert response.status_code == 403 and "outbound allow-list" in response.get_json()["error"]
    response = alice.post("/api/callbacks", json={"number": number, "due_at": time.time() + 3600})
    assert response.status_code == 403 and "outbound allow-list" in response.get_json()["error"]
    assert control_messages(web_app) == []


def test_numbers_on_the_list_go_out(web_app, client_for):
    live_call(web_app)
    alice = client_for("alice")
    assert alice.post("/api/calls/c-live/transfer",
                      json={"to": "external", "target": "+14155550199"}).status_code == 202
    assert alice.post("/api/callbacks", json={"number": "+14155550199", "due_at": time.time() + 60}).status_code == 201


def test_the_list_is_per_role(web_app, client_for):
    config = web_app.config["HOTLINE"]
    web_app.config["HOTLINE"] = config.replace(outbound_allow={**DEFAULTS["outbound_allow"],
                                                               "supervisor": [r"^\+44[0-9]{10}$"]})
    live_call(web_app)
    body = {"to": "external", "target": ABROAD}
    assert client_for("alice").post("/api/calls/c-live/transfer", json=body).status_code == 403
    assert client_for("supervisor").post("/api/calls/c-live/transfer", json=body).status_code == 202


def test_the_environment_gives_the_list_as_yaml(web_app, client_for):
    web_app.config["HOTLINE"] = web_app.config["HOTLINE"].replace(outbound_allow="{agent: ['^\\+44.*$']}")
    live_call(web_app)
    assert client_for("alice").post("/api/calls/c-live/transfer",
                                    json={"to": "external", "target": ABROAD}).status_code == 202


def test_a_queue_widens_the_list_for_its_own_calls(web_app, client_for, tmp_path):
    folder = tmp_path / "queues"
    shutil.copytree(ROOT / "queues", folder)
    data = yaml.safe_load((folder / "billing.yaml").read_text())
    data["queues"]["billing"]["outbound_allow"] = [r"^\+44[0-9]{10}$"]
    (folder / "billing.yaml").write_text(yaml.safe_dump(data))
    web_app.config["HOTLINE"] = web_app.config["HOTLINE"].replace(queues_dir=str(folder))
    live_call(web_app, queue="billing")
    live_call(web_app, call_id="c-support", queue="support")
    alice = client_for("alice")
    assert alice.post("/api/calls/c-live/transfer", json={"to": "external", "target": ABROAD}).status_code == 202
    assert alice.post("/api/calls/c-support/transfer",
                      json={"to": "external", "target": ABROAD}).status_code == 403
    assert alice.post("/api/callbacks", json={"number": ABROAD, "queue": "billing",
                                              "due_at": time.time() + 60}).status_code == 201
    # bob does not serve billing: naming it does not widen his list
    assert client_for("bob").post("/api/callbacks", json={"number": ABROAD, "queue": "billing",
                                                          "due_at": time.time() + 60}).status_code == 403


def test_a_bad_queue_pattern_is_reported_by_check(tmp_path):
    from control.queues import load_queues
    from control.yamlfile import ConfigErrors

    folder = tmp_path / "queues"
    shutil.copytree(ROOT / "queues", folder)
    data = yaml.safe_load((folder / "billing.yaml").read_text())
    data["queues"]["billing"]["outbound_allow"] = ["^\\+44[0-9"]
    (folder / "billing.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigErrors) as raised:
        load_queues(folder)
    assert "outbound_allow" in str(raised.value) and "not a regular expression" in str(raised.value)


def _vars() -> dict[str, str]:
    out = {}
    for el in ET.parse(ROOT / "freeswitch-conf" / "vars.xml").getroot().iter("X-PRE-PROCESS"):
        if el.get("cmd") == "set":
            name, _, value = el.get("data").partition("=")
            out[name] = value
    return out


def _outbound_extensions():
    context = ET.parse(ROOT / "dialplan" / "public-outbound.xml").getroot().find("context")
    return context.findall("extension")


def test_the_dialplan_lets_out_only_allowed_numbers():
    """The switch is the last line: before, ^\\+?[0-9]{3,15}$ let any number out through the trunk."""
    allow = _vars()["hotline_outbound_allow"]
    first, last = _outbound_extensions()[0], _outbound_extensions()[-1]
    condition = first.find("condition")
    assert condition.get("field") == "destination_number"
    assert condition.get("expression") == "$${hotline_outbound_allow}"
    assert any(a.get("application") == "bridge" for a in condition.findall("action"))
    # anything else is refused, not bridged
    assert [a.get("application") for a in last.find("condition").findall("action")] == ["log", "hangup"]
    regex = re.compile(allow)
    for number in (PREMIUM, ABROAD, "+19765550123", "911", "+1415555", "011442079460123"):
        assert not regex.search(number), number
    assert regex.search("+14155550199")


def test_the_dialplan_and_the_console_default_agree():
    """Same default in both places, so nothing the console allows is refused by the switch."""
    assert _vars()["hotline_outbound_allow"] == DEFAULTS["outbound_allow"]["agent"][0]
    assert all(patterns == DEFAULTS["outbound_allow"]["agent"] for patterns in DEFAULTS["outbound_allow"].values())


@pytest.mark.parametrize("setting,words", [
    ({"agent": ["^\\+1[0-9"]}, "not a regular expression"),
    ({"agent": "^\\+1.*$"}, "must be a list"),
    ({"agents": ["^\\+1.*$"]}, "unknown roles"),
])
def test_hotline_check_reports_a_bad_outbound_allow(tmp_path, setting, words):
    from control.checks import check_config_file

    path = tmp_path / "hotline.yaml"
    path.write_text(yaml.safe_dump({"outbound_allow": setting}))
    [error] = check_config_file(str(path))
    assert words in error.message and error.line == 1


def test_the_default_outbound_allow_passes_check():
    from control.outbound import problems

    assert problems(DEFAULTS["outbound_allow"]) == []


@pytest.mark.parametrize("call_id", ["a\x00b", "c 1", "\ud800", "x" * 65])
def test_a_call_id_that_cannot_be_one_is_a_400(web_app, client_for, call_id):
    response = client_for("alice").post("/api/notes", json={"call_id": call_id, "customer_id": 1, "text": "t"})
    assert response.status_code == 400 and "call_id" in response.get_json()["error"]
