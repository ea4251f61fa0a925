"""Alembic environment. Runs inside a Flask app (Flask-Migrate) or standalone
(records/migrate.py sets ``sqlalchemy.url`` on the config)."""
from __future__ import annotations

import logging
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

from records.models import Base
import records.card_models  # noqa: F401,E402  (their tables are part of the metadata)
import records.wrapup_models  # noqa: F401,E402
import records.quality_models  # noqa: F401,E402
import records.workforce_models  # noqa: F401,E402

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")
target_metadata = Base.metadata


def _flask_engine():
    try:
        from flask import current_app

        return current_app.extensions["migrate"].db.engine
    except (ImportError, RuntimeError, KeyError):
        return None


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = _flask_engine()
    if engine is None:
        engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                    poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)


def _run(connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things; batch mode rebuilds tables for it.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
