"""Logging for every process: one set-up, the call id on every line a call's code writes.

``setup(level, fmt)`` is called by each entry point (controller, console, worker). ``fmt`` is
``text`` (the default: ``time LEVEL logger [call id]: message``) or ``json`` (one object per line,
for a log shipper: ts, level, logger, message, call_id, and the exception when there is one).
``bind_call(call_id)`` ties the current greenlet's log lines to a call: greenlets each have their
own context, so a call's lines never carry another call's id. Phone numbers are masked either way
(control/log_privacy.py).
"""
from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import datetime, timezone

from control import log_privacy

CALL_ID: ContextVar[str | None] = ContextVar("hotline_call_id", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(call_tag)s: %(message)s"


def bind_call(call_id: str | None) -> None:
    CALL_ID.set(call_id)


class CallIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        call_id = CALL_ID.get()
        record.call_id = call_id
        record.call_tag = f" [{call_id}]" if call_id else ""
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                "call_id": getattr(record, "call_id", None)}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def setup(level: str = "INFO", fmt: str = "text") -> None:
    if fmt not in ("text", "json"):
        raise ValueError(f"log_format must be 'text' or 'json', not {fmt!r} (HOTLINE_LOG_FORMAT)")
    root = logging.getLogger()
    logging.basicConfig()
    root.setLevel(getattr(logging, str(level).upper(), logging.INFO))
    for handler in root.handlers:
        if not any(isinstance(f, CallIdFilter) for f in handler.filters):
            handler.addFilter(CallIdFilter())
        handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    log_privacy.install()
