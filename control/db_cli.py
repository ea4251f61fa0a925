"""`hotline db upgrade` (Alembic through Flask-Migrate), `hotline db seed` (demo data) and
`hotline db rollup --rebuild [--since DATE]` (recompute the report rollup, reports/rollup.py)."""
from __future__ import annotations

import argparse
import sys

from records.migrate import MIGRATIONS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hotline db", description="Database schema and demo data.")
    parser.add_argument("action", choices=["upgrade", "seed", "rollup"])
    parser.add_argument("--config", help="YAML config file (keys: control/config.py)")
    parser.add_argument("--revision", default="head", help="upgrade target (default: head)")
    parser.add_argument("--rebuild", action="store_true",
                        help="rollup: recompute the report rollup from the raw call records")
    parser.add_argument("--since", help="rollup: only calls entered from this UTC date or ISO time on")
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

    if args.action == "rollup":
        return _rollup(config, args, parser)

    from records.db import session_factory
    from records.seed import seed

    counts = seed(session_factory(config.database_url))
    print("hotline db: seeded " + ", ".join(f"{k}={v}" for k, v in counts.items()), file=sys.stdout)
    return 0


def _rollup(config, args, parser) -> int:
    from datetime import datetime, timezone

    from records.db import session_factory
    from reports.rollup_rebuild import rebuild

    if not args.rebuild:
        parser.error("rollup needs --rebuild (finalize_call keeps the rollup current; this recomputes it)")
    since = None
    if args.since:
        try:
            given = datetime.fromisoformat(args.since)
        except ValueError:
            parser.error("--since is YYYY-MM-DD or an ISO date-time")
        since = given if given.tzinfo else given.replace(tzinfo=timezone.utc)
    count = rebuild(session_factory(config.database_url), since)
    print(f"hotline db: rolled up {count} calls" + (f" entered from {since.isoformat()}" if since else ""))
    return 0
