"""hotline render-fs: agents -> directory XML, generated passwords, reloadxml over the Event Socket."""
from __future__ import annotations

import shutil
import socket
import threading
import xml.etree.ElementTree as ET

import pytest

from control import fsconf
from control.config import ROOT
from control.fsconf import AgentRow, RenderError, preprocess, render_agent, render_agents

AGENTS = [AgentRow("alice", "Alice <A&B>", "1001", "pw-alice"), AgentRow("bob", "", "1002", "pw-bob")]


def test_render_matches_the_agents():
    files = render_agents(AGENTS)
    assert sorted(files) == ["1001.xml", "1002.xml"]
    user = ET.fromstring(files["1001.xml"]).find("user")
    assert user.get("id") == "1001"
    assert {p.get("name"): p.get("value") for p in user.iter("param")} == {"password": "pw-alice"}
    variables = {v.get("name"): v.get("value") for v in user.iter("variable")}
    assert variables["hotline_agent"] == "alice" and variables["effective_caller_id_name"] == "Alice <A&B>"
    assert variables["user_context"] == "internal"
    assert ET.fromstring(files["1002.xml"]).find("user/variables/variable[@name='effective_caller_id_name']") \
        .get("value") == "bob"


@pytest.mark.parametrize("agent", [
    AgentRow("x", "X", "10a1", "pw"), AgentRow("x", "X", "1", "pw"), AgentRow("x", "X", "1003", ""),
    AgentRow("x", "a $${domain}", "1003", "pw"), AgentRow("x", "X", "1003", "p\nw"),
])
def test_render_refuses_what_freeswitch_cannot_use(agent):
    with pytest.raises(RenderError):
        render_agent(agent)


def test_duplicate_extension_refused():
    with pytest.raises(RenderError):
        render_agents([AGENTS[0], AgentRow("carol", "", "1001", "pw")])


def test_missing_passwords_are_generated():
    done, changed = fsconf.with_passwords([AgentRow("a", "", "1001", ""), AGENTS[1]])
    assert [a.id for a in changed] == ["a"] and len(done[0].sip_password) == fsconf.PASSWORD_LENGTH
    assert done[1].sip_password == "pw-bob"
    assert fsconf.new_password() != fsconf.new_password()


def test_rendered_directory_is_what_freeswitch_reads(tmp_path):
    conf = tmp_path / "freeswitch-conf"
    shutil.copytree(ROOT / "freeswitch-conf", conf, ignore=shutil.ignore_patterns("vars.local.xml", "[0-9]*.xml"))
    shutil.copytree(ROOT / "dialplan", tmp_path / "dialplan")
    (conf / "directory" / "agents" / "9999.xml").write_text("<include>\n</include>\n")  # an agent now gone
    assert fsconf.write_agent_files(conf, render_agents(AGENTS)) == (2, 1)
    assert oct((conf / "directory" / "agents" / "1001.xml").stat().st_mode & 0o777) == "0o600"
    root = ET.fromstring(preprocess(conf).text)
    users = {u.get("id"): u for u in root.iter("user")}
    assert set(users) == {"1001", "1002"}
    domain = root.find("section[@name='directory']/domain")
    assert domain.get("name") == "127.0.0.1"


def test_load_agents_stores_generated_passwords(tmp_path):
    from sqlalchemy import select

    from records.db import session_factory
    from records.models import Agent, Base

    url = f"sqlite:///{tmp_path / 'h.db'}"
    factory = session_factory(url)
    Base.metadata.create_all(factory.kw["bind"])
    with factory() as s:
        s.add_all([Agent(id="alice", name="Alice", extension="1001", sip_password=""),
                   Agent(id="bob", name="Bob", extension="1002", sip_password="kept")])
        s.commit()
    agents = {a.id: a for a in fsconf.load_agents(url)}
    assert agents["bob"].sip_password == "kept" and len(agents["alice"].sip_password) == 24
    with factory() as s:
        stored = s.scalars(select(Agent).where(Agent.id == "alice")).one().sip_password
    assert stored == agents["alice"].sip_password
    assert fsconf.load_agents(url)[0].sip_password == stored  # stable on the next run


def fake_freeswitch(password: str, replies: list[bytes]):
    """A one-connection Event Socket that answers like FreeSWITCH 1.11 and records what it got."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    got: list[str] = []

    def serve():
        conn, _ = srv.accept()
        with conn:
            conn.sendall(b"Content-Type: auth/request\n\n")
            buf = b""
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                buf += data
                while b"\n\n" in buf:
                    cmd, buf = buf.split(b"\n\n", 1)
                    got.append(cmd.decode())
                    if cmd.startswith(b"auth "):
                        ok = cmd == f"auth {password}".encode()
                        conn.sendall(b"Content-Type: command/reply\nReply-Text: "
                                     + (b"+OK accepted" if ok else b"-ERR invalid") + b"\n\n")
                        if not ok:
                            return
                    elif cmd.startswith(b"api "):
                        body = replies.pop(0)
                        conn.sendall(b"Content-Type: api/response\nContent-Length: %d\n\n%s" % (len(body), body))
                    elif cmd == b"exit":
                        conn.sendall(b"Content-Type: command/reply\nReply-Text: +OK bye\n\n")
                        return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return srv, got, thread


def test_reloadxml_over_the_event_socket():
    srv, got, thread = fake_freeswitch("ClueCon", [b"+OK [Success]\n"])
    with srv:
        body = fsconf.esl_api("127.0.0.1", srv.getsockname()[1], "ClueCon", "reloadxml", timeout=3)
        thread.join(3)
    assert body == "+OK [Success]\n"
    assert got == ["auth ClueCon", "api reloadxml", "exit"]


def test_reloadxml_bad_password_is_reported():
    srv, _, thread = fake_freeswitch("right", [])
    with srv, pytest.raises(fsconf.EslError):
        fsconf.esl_api("127.0.0.1", srv.getsockname()[1], "wrong", "reloadxml", timeout=3)


def test_main_reports_when_no_freeswitch_answers(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fsconf, "load_agents", lambda url: list(AGENTS))
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HOTLINE_ESL_PORT", str(port))
    conf = tmp_path / "conf"
    assert fsconf.main(["--conf-dir", str(conf)]) == 1
    assert "no FreeSWITCH answered" in capsys.readouterr().err
    assert sorted(p.name for p in (conf / "directory" / "agents").glob("*.xml")) == ["1001.xml", "1002.xml"]
