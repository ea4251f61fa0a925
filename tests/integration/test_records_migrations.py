"""Alembic migrations create every model table on PostgreSQL and SQLite; no drift from the models."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from records.db import make_engine
from records.migrate import ensure_schema
from records.models import Base

pytestmark = pytest.mark.integration


def assert_matches_models(url: str) -> None:
    engine = make_engine(url)
    try:
        insp = inspect(engine)
        tables = set(insp.get_table_names()) - {"alembic_version"}
        assert tables == set(Base.metadata.tables)
        for name, table in Base.metadata.tables.items():
            assert {c["name"] for c in insp.get_columns(name)} == {c.name for c in table.columns}, name
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []           # what `alembic check` would report
    finally:
        engine.dispose()


def test_upgrade_on_postgresql(pg_database_url):
    ensure_schema(pg_database_url)
    ensure_schema(pg_database_url)   # a second run is a no-op
    assert_matches_models(pg_database_url)


def test_upgrade_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    ensure_schema(url)
    assert_matches_models(url)


def test_hotline_db_upgrade_and_seed_through_flask_migrate(tmp_path, monkeypatch):
    from control.db_cli import main
    from records.db import session_factory
    from records.agents import load_agents

    url = f"sqlite:///{tmp_path / 'sub' / 'cli.db'}"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    assert main(["upgrade"]) == 0
    assert main(["seed"]) == 0
    assert main(["seed"]) == 0       # idempotent
    assert_matches_models(url)
    agents = {a.id: a for a in load_agents(session_factory(url))}
    assert sorted(agents) == ["alice", "bob", "carol", "dave"]
    assert agents["carol"].skills["mandarin"] == 9 and agents["alice"].extension == "1001"
