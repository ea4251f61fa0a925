"""`hotline db upgrade` (Alembic through Flask-Migrate) and `hotline db seed` (demo data)."""
from __future__ import annotations

import argparse
import sys

from records.migrate import MIGRATIONS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hotline db", description="Database schema and demo data.")
    parser.add_argument("action", choices=["upgrade", "seed"])
    parser.add_argument("--config", help="YAML config file (keys: control/config.py)")
    parser.add_argument("--revision", default="head", help="upgrade target (default: head)")
    args = parser.parse_args(argv)

    from control.config import load_config

    config = load_config(args.config)
    if args.action == "upgrade":
        from flask_migrate import upgrade

        from web import create_app

        if config.database_url.startswith("sqlite:///"):
            from pathlib import Path

            Path(config.database_url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        app = create_app(config)
        with app.app_context():
            upgrade(directory=str(MIGRATIONS), revision=args.revision)
        print(f"hotline db: schema at {args.revision}")
        return 0

    from records.db import session_factory
    from records.seed import seed

    counts = seed(session_factory(config.database_url))
    print("hotline db: seeded " + ", ".join(f"{k}={v}" for k, v in counts.items()), file=sys.stdout)
    return 0
