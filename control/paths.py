"""Where Hotline finds the files it ships and where it writes its own.

Shipped files (``migrations/``, ``ivr_flows/``, ``queues/``, ``freeswitch-conf/``, ``dialplan/``,
``scenarios/``) live at the top of a source checkout. An installed wheel carries them as data
files under ``<prefix>/share/hotline`` (pyproject.toml, ``[tool.setuptools.data-files]``), so
``share_dir()`` is the checkout when there is one and that folder otherwise.

What Hotline writes (the SQLite database, the record spool, prompts, archived recordings) goes
under ``var_dir()``: ``var/`` of the checkout; for an installed package ``var/`` beside the
``HOTLINE_CONFIG`` file (``hotline init DIR`` writes DIR/hotline.yaml and DIR/var), else ``./var``
of the working directory. ``HOTLINE_SHARE_DIR`` and ``HOTLINE_VAR_DIR`` override both.
"""
from __future__ import annotations

import os
import sysconfig
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("migrations", "ivr_flows", "queues", "freeswitch-conf", "dialplan", "scenarios")


def is_checkout() -> bool:
    return (SOURCE_ROOT / "migrations" / "env.py").is_file() and (SOURCE_ROOT / "pyproject.toml").is_file()


def share_dir() -> Path:
    if os.environ.get("HOTLINE_SHARE_DIR"):
        return Path(os.environ["HOTLINE_SHARE_DIR"])
    if is_checkout():
        return SOURCE_ROOT
    return Path(sysconfig.get_path("data")) / "share" / "hotline"


def var_dir() -> Path:
    if os.environ.get("HOTLINE_VAR_DIR"):
        return Path(os.environ["HOTLINE_VAR_DIR"])
    if is_checkout():
        return SOURCE_ROOT / "var"
    if os.environ.get("HOTLINE_CONFIG"):   # DIR/hotline.yaml, as `hotline init DIR` lays it out
        return Path(os.environ["HOTLINE_CONFIG"]).resolve().parent / "var"
    return Path.cwd() / "var"


def shipped(name: str) -> Path:
    """One of the shipped folders, e.g. ``shipped("migrations")``."""
    if name not in SHIPPED:
        raise ValueError(f"{name!r} is not a shipped folder ({', '.join(SHIPPED)})")
    return share_dir() / name
