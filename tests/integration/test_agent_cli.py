"""`hotline agent` against PostgreSQL and Redis: add, set, refuse bad input by field, new SIP
password, export and import; the phone directory is written and live state follows."""
from __future__ import annotations

import uuid

import pytest

from control.cli import main as hotline

pytestmark = pytest.mark.integration


@pytest.fixture
def cli(pg_sessions, pg_database_url, redis_url, redis_prefix, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", pg_database_url)
    monkeypatch.setenv("HOTLINE_REDIS_URL", redis_url)
    monkeypatch.setenv("HOTLINE_REDIS_PREFIX", redis_prefix)
    monkeypatch.setenv("HOTLINE_FREESWITCH_CONF_DIR", str(tmp_path / "fs"))
    monkeypatch.setenv("HOTLINE_ESL_PORT", "1")   # no switch: said, not an error

    def run(*argv: str) -> tuple[int, str, str]:
        code = hotline(["agent", *argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_add_set_and_the_switch_and_live_state_follow(cli, pg_sessions, redis_client, redis_prefix, tmp_path):
    from control.store.redis_state import RedisState
    from records.models import Skill

    with pg_sessions() as session:   # the seeded skills of a fresh database
        for name in ("english", "billing"):
            if not session.query(Skill).filter_by(name=name).first():
                session.add(Skill(name=name))
        session.commit()
    agent = f"cli{uuid.uuid4().hex[:6]}"
    extension = str(3000 + uuid.uuid4().int % 6000)
    code, out, err = cli("add", agent, "--name", "Cli Agent", "--extension", extension, "--skill", "english=7",
                         "--queue", "support")
    assert code == 0, err
    assert "SIP password (shown once)" in out and "live state updated" in out and "did not answer" in out
    password = out.split("shown once): ", 1)[1].split()[0]
    assert password in next((tmp_path / "fs" / "directory" / "agents").glob(f"*{extension}*.xml")).read_text()
    live = RedisState(redis_client, redis_prefix).get_agent(agent)
    assert live.skills == {"english": 7} and live.queues == ["support"]

    code, _out, err = cli("set", agent, "--skill", "english=7", "--skill", "billing=12")
    assert code == 1 and "a level is 1 to 10" in err
    code, _out, err = cli("set", agent, "--queue", "nowhere")
    assert code == 1 and "unknown queue(s) nowhere" in err
    assert cli("set", agent, "--wrap-up", "0")[0] == 0
    assert RedisState(redis_client, redis_prefix).get_agent(agent).wrap_up_s == 0

    code, out, _err = cli("export")
    assert code == 0 and out.splitlines()[0] == "id,name,extension,skills,queues,wrap_up_s" and agent in out
    code, out, _err = cli("sip-password", agent)
    assert code == 0 and password not in out


def test_import_saves_good_rows_and_names_the_line_of_a_bad_one(cli, tmp_path):
    extension = str(3000 + uuid.uuid4().int % 6000)
    first, second = f"imp{uuid.uuid4().hex[:6]}", f"imp{uuid.uuid4().hex[:6]}"
    path = tmp_path / "agents.csv"
    path.write_text("id,name,extension,skills,queues,wrap_up_s\n"
                    f"{first},First,{extension},,support,\n"
                    f"{second},Second,{extension},,support,\n")
    code, out, _err = cli("import", str(path))
    assert code == 0
    assert f"agents.csv:2: {first} saved" in out and f"agents.csv:3: refused: extension: extension {extension}" in out
