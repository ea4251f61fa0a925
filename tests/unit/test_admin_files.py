"""Admin: queues, flows and the DID map edited in the console, on copies of the shipped files."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.web_fixtures import build_app, login

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def site(tmp_path):
    shutil.copytree(REPO / "queues", tmp_path / "queues")
    shutil.copytree(REPO / "ivr_flows", tmp_path / "flows")
    return tmp_path


@pytest.fixture
def admin(site):
    from control.store.memory_state import MemoryState
    from control.store.publisher import MemoryPublisher

    app = build_app(f"sqlite:///{site / 'hotline.db'}", LIVE_STATE=MemoryState(), PUBLISHER=MemoryPublisher(),
                    queues_dir=str(site / "queues"), flows_dir=str(site / "flows"))
    client = login(app.test_client(), "admin")
    client.application = app
    return client


def _open(admin, kind, name):
    page = admin.get(f"/admin/files/{kind}/{name}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    version = html.split('name="version" value="', 1)[1].split('"', 1)[0]
    return html, version


def test_a_valid_change_is_written_and_audited_with_its_diff(admin, site):
    _html, version = _open(admin, "queues", "support")
    text = (site / "queues" / "support.yaml").read_text().replace("strategy: longest-idle-agent",
                                                                 "strategy: round-robin", 1)
    saved = admin.post("/admin/files/queues/support", data={"text": text, "version": version})
    assert saved.status_code == 302
    assert "strategy: round-robin" in (site / "queues" / "support.yaml").read_text()
    from sqlalchemy import select

    from records.models import AuditLog
    from web.extensions import db

    with admin.application.app_context():
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "config.save"))
    assert "-    strategy: longest-idle-agent" in row.details["diff"] and row.target == "queues:support"


@pytest.mark.parametrize("old,new,expected", [
    ("strategy: longest-idle-agent", "strategy: fastest", "support.yaml:5"),            # unknown strategy
    ("requirements: {english: 3}", "requirements: {klingon: 3}", "klingon"),           # unknown skill
    ("requirements: {english: 3}", "requirements: {english: 3, mandarin: 10}", "no agent could ever meet"),
])
def test_an_invalid_queue_is_refused_with_the_line_and_nothing_changes(admin, site, old, new, expected):
    before = (site / "queues" / "support.yaml").read_text()
    _html, version = _open(admin, "queues", "support")
    refused = admin.post("/admin/files/queues/support", data={"text": before.replace(old, new, 1), "version": version})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and expected in html, html[html.find('id="problems"'):][:800]
    assert (site / "queues" / "support.yaml").read_text() == before


def test_a_flow_node_pointing_nowhere_is_refused_and_the_graph_follows_the_text(admin, site):
    _html, version = _open(admin, "flows", "order_status")
    text = (site / "flows" / "order_status.yaml").read_text()
    live = admin.post("/admin/files/flows/order_status/check", data={"text": text}).get_json()
    assert live["problems"] == [] and "<svg" in live["graph"]
    broken = text + "\n  dangling: {type: play, prompt: nowhere_prompt, next: nowhere}\n"
    live = admin.post("/admin/files/flows/order_status/check", data={"text": broken}).get_json()
    assert any("order_status.yaml" in p for p in live["problems"])
    refused = admin.post("/admin/files/flows/order_status", data={"text": broken, "version": version})
    assert refused.status_code == 400


def test_a_did_taken_twice_or_pointing_to_no_flow_is_refused(admin, site):
    _html, version = _open(admin, "flows", "dids")
    text = (site / "flows" / "dids.yaml").read_text() + '  "+18005550111": nowhere\n'
    refused = admin.post("/admin/files/flows/dids", data={"text": text, "version": version})
    assert refused.status_code == 400 and "nowhere" in refused.get_data(as_text=True)


def test_a_save_over_someone_elses_change_is_refused(admin, site):
    _html, version = _open(admin, "queues", "support")
    path = site / "queues" / "support.yaml"
    path.write_text(path.read_text().replace("wrap_up_s: 10", "wrap_up_s: 12", 1))   # another admin, or git
    late = admin.post("/admin/files/queues/support", data={"text": path.read_text(), "version": version})
    assert late.status_code == 409 and "changed since you opened it" in late.get_data(as_text=True)


def test_a_new_queue_file_is_created_from_its_template(admin, site):
    html, version = _open(admin, "queues", "priority_line")
    assert version == "" and "priority_line:" in html
    text = "queues:\n  priority_line:\n    strategy: top-down\n    requirements: {english: 1}\n"
    assert admin.post("/admin/files/queues/priority_line", data={"text": text, "version": ""}).status_code == 302
    assert (site / "queues" / "priority_line.yaml").read_text() == text
    assert admin.get("/admin/files/queues/Bad%20Name").status_code == 404


def test_test_this_flow_walks_the_text_as_typed(admin, site):
    # the dry run walks the flow at the current time: open all week, so the hour of the run does not matter
    text = re.sub(r'open: \{mon-fri: "08:00-20:00", sat: "09:00-13:00"\}', 'open: {daily: "00:00-24:00"}',
                  (site / "flows" / "main.yaml").read_text())
    text = re.sub(r"\n    holidays:\n(      - .*\n)+", "\n", text)
    assert 'open: {daily: "00:00-24:00"}' in text
    reply = admin.post("/admin/files/flows/main/test", data={"text": text, "keys": "1 2"}).get_json()
    assert reply["queue"] == "billing" and reply["outcome"] == "answered"
    assert reply["path"][0] == "menu language: pressed 1 (language en)"
    assert any("pressed 2" in step for step in reply["steps"])
    broken = admin.post("/admin/files/flows/main/test", data={"text": text.replace("start: language", "start: x")})
    assert broken.status_code == 400 and broken.get_json()["problems"]
