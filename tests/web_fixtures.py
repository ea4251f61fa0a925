"""Fixtures for the console's tests: an app on a throw-away SQLite file, seeded users,
logged-in clients, and a threaded live server for SSE and browser tests.

Import the fixtures you use: ``from tests.web_fixtures import web_app, client_for  # noqa: F401``.
"""
from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

import pytest

from control.config import load_config

PASSWORDS_ARE_USERNAMES = ("alice", "bob", "carol", "dave", "supervisor", "admin")


_TEMPLATE: dict[str, Path] = {}


def seeded_sqlite(db_url: str) -> None:
    """Schema + demo seed, built once per test session and copied (password hashing is slow)."""
    from records.db import make_engine, session_factory
    from records.models import Base
    from records.seed import seed
    import records.card_models, records.wrapup_models  # noqa: E401,F401 - their tables join Base.metadata

    if "db" not in _TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="hotline-web-")) / "template.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        seed(session_factory(url))
        _TEMPLATE["db"] = path
    shutil.copyfile(_TEMPLATE["db"], db_url[len("sqlite:///"):])


def build_app(db_url: str, **overrides):
    from web import create_app

    seeded_sqlite(db_url)
    overrides.setdefault("TESTING", True)
    overrides.setdefault("WTF_CSRF_ENABLED", False)
    overrides.setdefault("SSE_HEARTBEAT_S", 1)
    # admin saves write the phone directory and ask the switch to reload: here, not the repo's, and no switch
    overrides.setdefault("freeswitch_conf_dir", str(Path(db_url[len("sqlite:///"):]).parent / "freeswitch-conf"))
    overrides.setdefault("esl_port", 1)
    return create_app(load_config(env={}), database_url=db_url, **overrides)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'hotline.db'}"


@pytest.fixture
def web_app(sqlite_url):
    """Seeded app with in-memory live state and publisher (no Redis needed)."""
    from control.store.memory_state import MemoryState
    from control.store.publisher import MemoryPublisher

    return build_app(sqlite_url, LIVE_STATE=MemoryState(), PUBLISHER=MemoryPublisher(),
                     redis_url="redis://127.0.0.1:1/0")


def login(client, username: str, password: str | None = None):
    response = client.post("/login", data={"username": username, "password": password or username})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def client_for(web_app):
    """client_for("alice") -> a test client logged in as alice; client_for(None) -> anonymous."""
    def make(username: str | None):
        client = web_app.test_client()
        return login(client, username) if username else client
    return make


class LiveServer:
    def __init__(self, app):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        return False


@pytest.fixture
def redis_web_app(sqlite_url, redis_url, redis_prefix):
    """Seeded app on real Redis (the test's own prefix)."""
    return build_app(sqlite_url, redis_url=redis_url, redis_prefix=redis_prefix)


@pytest.fixture
def live_server(redis_web_app):
    with LiveServer(redis_web_app) as server:
        yield server
