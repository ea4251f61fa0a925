"""Production mode (control/production.py): each unsafe default is named with its fix; demo mode
allows them all."""
from __future__ import annotations

from control.config import load_config
from control.production import problems, refusal
from tests.web_fixtures import seeded_sqlite

SAFE = {"HOTLINE_SECRET_KEY": "k" * 40, "HOTLINE_ESL_PASSWORD": "not-the-default"}


def _config(tmp_path, seeded: bool = False, **env):
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    if seeded:
        seeded_sqlite(url)
    return load_config(env={"HOTLINE_DATABASE_URL": url, **env})


def _text(config) -> str:
    return refusal("web", problems(config))


def test_default_secret_key_and_event_socket_password_are_named_with_their_fix(tmp_path):
    text = _text(_config(tmp_path))
    assert "secret_key is the default" in text and "HOTLINE_SECRET_KEY" in text
    assert "ClueCon" in text and "HOTLINE_ESL_PASSWORD" in text and "vars.local.xml" in text


def test_short_secret_key_is_refused(tmp_path):
    assert any("secret_key" in p.what for p in problems(_config(tmp_path, HOTLINE_SECRET_KEY="short",
                                                                    HOTLINE_ESL_PASSWORD="x")))


def test_seeded_accounts_with_their_demo_passwords_are_named(tmp_path):
    text = _text(_config(tmp_path, seeded=True, **SAFE))
    assert "admin, alice, bob, carol, dave, supervisor" in text
    assert "hotline user passwd admin" in text


def test_a_changed_seeded_password_is_no_longer_a_problem(tmp_path):
    from records.accounts import set_password
    from records.db import session_factory

    config = _config(tmp_path, seeded=True, **SAFE)
    with session_factory(config.database_url)() as session:
        for name in ("alice", "bob", "carol", "dave", "supervisor"):
            set_password(session, name, f"{name}-a-long-new-password")
        session.commit()
    text = _text(config)
    assert "seeded accounts" in text and ": admin" in text and "alice" not in text


def test_remote_redis_without_password_is_refused_and_loopback_or_password_is_not(tmp_path):
    remote = _config(tmp_path, HOTLINE_REDIS_URL="redis://10.1.2.3:6379/0", **SAFE)
    assert "Redis at 10.1.2.3" in _text(remote) and "requirepass" in _text(remote)
    for url in ("redis://127.0.0.1:6379/0", "redis://localhost/0", "redis://[::1]:6379/0",
                "redis://:pw@10.1.2.3:6379/0", "rediss://hotline:pw@redis.example:6380/0",
                "unix:///run/redis.sock"):
        assert problems(_config(tmp_path, HOTLINE_REDIS_URL=url, **SAFE)) == [], url


def test_a_safe_configuration_has_no_problems(tmp_path):
    assert problems(_config(tmp_path, **SAFE)) == []


def test_demo_mode_allows_every_default(tmp_path):
    assert problems(_config(tmp_path, seeded=True, HOTLINE_DEMO_MODE="1",
                            HOTLINE_REDIS_URL="redis://10.1.2.3:6379/0")) == []
