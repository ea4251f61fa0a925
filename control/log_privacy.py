"""Phone numbers are masked in log lines unless debug logging is on.

A ``logging.Filter`` for handlers: it formats the record's message once, masks every E.164 number
(``+`` and 7-15 digits, the form Hotline stores and logs) down to its last 4 digits, and hands the
result on. When the root logger is at DEBUG the numbers stay whole: whoever turned debugging on
needs them, and debug logs are not kept like the others (docs/security.md, Privacy).
"""
from __future__ import annotations

import logging
import re

E164 = re.compile(r"\+\d{3,11}(\d{4})(?!\d)")


def mask_numbers(text: str) -> str:
    return E164.sub(lambda m: "+" + "•" * (len(m.group()) - 5) + m.group(1), text)


class PhoneNumberFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            return True
        message = record.getMessage()
        masked = mask_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of ``logger`` (the root logger by default); idempotent."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, PhoneNumberFilter) for f in handler.filters):
            handler.addFilter(PhoneNumberFilter())
