"""Sensitive customer fields are masked for agents; supervisors and admins see them whole."""
from __future__ import annotations

import copy
from typing import Any

from web.roles import LEVELS, level

SENSITIVE_FIELDS = frozenset({"card_number", "card", "ssn", "dob", "date_of_birth", "iban", "account_number",
                              "pin", "passport", "tax_id", "password", "bank_account"})


def mask_value(value: Any) -> str:
    text = str(value)
    if len(text) <= 4:
        return "••••"
    return "•" * (len(text) - 4) + text[-4:]


def is_sensitive(key: str) -> bool:
    return str(key).strip().lower() in SENSITIVE_FIELDS


def mask_customer(card: dict[str, Any] | None, role: str | None) -> dict[str, Any] | None:
    """A copy of ``card`` safe for ``role`` (unchanged for supervisors and admins)."""
    if card is None or level(role) >= LEVELS["supervisor"]:
        return card
    out = copy.deepcopy(card)
    fields = out.get("fields") or {}
    if isinstance(fields, dict):
        out["fields"] = {k: (mask_value(v) if is_sensitive(k) else v) for k, v in fields.items()}
    return out


def mask_message(message: dict[str, Any], role: str | None) -> dict[str, Any]:
    """Live messages carry the customer card too (the pop); mask it the same way."""
    if isinstance(message.get("customer"), dict) and level(role) < LEVELS["supervisor"]:
        return {**message, "customer": mask_customer(message["customer"], role)}
    return message
