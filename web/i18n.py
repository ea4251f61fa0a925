"""English and Simplified Chinese. Catalogs ship as .po and are compiled at app start with
Babel's Python API (no build step); the locale is the user's setting, else Accept-Language."""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import request
from flask_login import current_user

from control.paths import var_dir

log = logging.getLogger(__name__)
SOURCE = Path(__file__).resolve().parent / "translations"
LOCALES = ("en", "zh")
COMPILED = var_dir() / "translations"


def normalize_locale(value: str | None) -> str | None:
    if not value:
        return None
    value = value.replace("-", "_").lower()
    if value.startswith("zh"):
        return "zh"     # zh, zh_CN, zh_Hans...: Simplified Chinese is the one we ship
    if value.startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    if getattr(current_user, "is_authenticated", False):
        chosen = normalize_locale(getattr(current_user, "locale", None))
        if chosen:
            return chosen
    for lang, _quality in request.accept_languages:
        chosen = normalize_locale(lang)
        if chosen:
            return chosen
    return "en"


def compile_catalogs(target: Path | None = None) -> Path:
    """Compile every web/translations/<lang>/LC_MESSAGES/messages.po to .mo; returns the directory."""
    target = target or COMPILED
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError:
        target = Path(tempfile.mkdtemp(prefix="hotline-translations-"))
    for po in SOURCE.glob("*/LC_MESSAGES/messages.po"):
        mo = target / po.relative_to(SOURCE).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with open(po, "rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        tmp = mo.with_suffix(".mo.tmp")
        with open(tmp, "wb") as fh:
            write_mo(fh, catalog)
        tmp.replace(mo)
        log.debug("compiled %s", mo)
    return target
