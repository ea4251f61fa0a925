"""What the console needs from queues/*.yaml: disposition codes, whether one is required, wrap-up seconds
(``queue_rules``), and the queues themselves (``queue_configs``).

Loaded once per app and reloaded when a file there changes (the files are small).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import current_app

from control.domain.queue_config import QueueConfig
from control.queues import load_queues
from control.yamlfile import ConfigErrors
from web.live import config

log = logging.getLogger(__name__)


def _stamp(folder: Path) -> tuple:
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.yaml"))) if folder.is_dir() else ()


def queue_rules() -> dict[str, dict[str, Any]]:
    folder = Path(config().queues_dir)
    cached = current_app.extensions.get("hotline.queue_rules")
    stamp = _stamp(folder)
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        queues = load_queues(folder)
    except Exception:  # noqa: BLE001 - a broken queue file must not take the console down; `hotline check` reports it
        log.warning("queue files could not be loaded from %s", folder, exc_info=True)
        queues = {}
    rules = {name: {"dispositions": list(q.dispositions), "required": bool(q.disposition_required),
                    "wrap_up_s": q.wrap_up_s} for name, q in queues.items()}
    current_app.extensions["hotline.queue_rules"] = (stamp, rules)
    return rules


def queue_configs() -> dict[str, QueueConfig]:
    """QueueConfig by name from queues/*.yaml (the wallboard, agent states), reloaded when a file changes."""
    folder = Path(config().queues_dir)
    stamp = _stamp(folder)
    cached = current_app.extensions.get("hotline.wallboard_queues")
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        queues = load_queues(folder)
    except (ConfigErrors, OSError):   # `hotline check` reports the file; the wallboard keeps going
        log.warning("queue files could not be loaded from %s", folder, exc_info=True)
        queues = {}
    current_app.extensions["hotline.wallboard_queues"] = (stamp, queues)
    return queues
