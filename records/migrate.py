"""Alembic without Flask: ``ensure_schema(url)`` upgrades a database to the newest revision.

``hotline db upgrade`` goes through Flask-Migrate instead; both use migrations/.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from control.paths import shipped
from records.db import normalize_url

MIGRATIONS = shipped("migrations")


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    cfg.attributes["skip_logging"] = True
    return cfg


def ensure_schema(url: str, revision: str = "head") -> None:
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)
