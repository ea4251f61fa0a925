"""Caller numbers to E.164 (phonenumbers); anything else is kept, marked, never trusted."""
from __future__ import annotations

import phonenumbers

ANONYMOUS = {"", "anonymous", "unknown", "restricted", "private", "0000000000"}


def normalize(raw: str | None, region: str = "US") -> str:
    """E.164 when the number parses and is possible; 'anonymous' for withheld; else the raw digits."""
    text = (raw or "").strip()
    if text.lower() in ANONYMOUS:
        return "anonymous"
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return "".join(ch for ch in text if ch.isalnum() or ch == "+")[:32] or "anonymous"
    if phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return "".join(ch for ch in text if ch.isalnum() or ch == "+")[:32]
