"""Sensitive customer data is masked for agents; supervisors and admins see it whole.

Masking is by classification, not by one spelling of a field name:
- a field is sensitive when its name, compared without case, spaces, dashes, dots and underscores
  (``Card Number`` = ``card_number`` = ``cardNumber``), is a built-in sensitive name, contains one of
  the longer sensitive words (``primary_credit_card``), or is one of the configured ``sensitive_fields``;
- in every string value, wherever it is, card numbers (13-19 digits, spaces or dashes allowed,
  passing the Luhn check), US social security numbers (123-45-6789) and IBANs (mod-97 check) are masked.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from web.roles import LEVELS, level

# Compared after normalize(); short names only as the whole name ("pin" must not hit "shipping").
SENSITIVE_NAMES = frozenset({"card", "cc", "ccnumber", "pan", "cvv", "cvv2", "cvc", "cvc2", "cid", "ssn", "sin",
                             "dob", "pin", "iban", "bic", "passport", "taxid", "tin", "nationalid", "birthdate",
                             "sortcode", "password", "secret"})
SENSITIVE_WORDS = ("cardnumber", "creditcard", "debitcard", "securitycode", "socialsecurity", "dateofbirth",
                   "accountnumber", "bankaccount", "routingnumber", "passport", "password", "taxid",
                   "nationalid", "driverslicense", "driverlicense")
SSN = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
CARD_CANDIDATE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
DOT = "•"


def normalize(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", str(name)).lower()


@dataclass(frozen=True)
class MaskPolicy:
    """What counts as sensitive: the built-in names plus ``extra_fields`` (normalized names)."""
    extra_fields: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_setting(cls, setting: str | list | tuple | None) -> "MaskPolicy":
        names = setting.split(",") if isinstance(setting, str) else list(setting or [])
        return cls(frozenset(normalize(n) for n in names if str(n).strip()))

    def is_sensitive(self, key: str) -> bool:
        name = normalize(key)
        return name in SENSITIVE_NAMES or name in self.extra_fields or any(w in name for w in SENSITIVE_WORDS)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    compact = text.replace(" ", "")
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def mask_value(value: Any) -> str:
    text = str(value)
    if len(text) <= 4:
        return DOT * 4
    return DOT * (len(text) - 4) + text[-4:]


def _mask_digits_but_last4(text: str) -> str:
    seen, out = sum(c.isdigit() for c in text), []
    for ch in text:
        if ch.isdigit():
            seen -= 1
            out.append(ch if seen < 4 else DOT)
        else:
            out.append(ch)
    return "".join(out)


def _card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    return _mask_digits_but_last4(match.group()) if luhn_ok(digits) else match.group()


def _iban(match: re.Match) -> str:
    return mask_value(match.group()) if iban_ok(match.group()) else match.group()


def mask_text(text: str) -> str:
    """``text`` with card numbers, social security numbers and IBANs masked (the last 4 kept)."""
    text = CARD_CANDIDATE.sub(_card, text)
    text = SSN.sub(lambda m: mask_value(m.group()), text)
    return IBAN.sub(_iban, text)


def _scan(value: Any, policy: MaskPolicy) -> Any:
    """Every string inside ``value`` through mask_text; sensitive keys of nested objects masked whole."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: (_mask_whole(v) if policy.is_sensitive(k) else _scan(v, policy)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scan(v, policy) for v in value]
    return value


def _mask_whole(value: Any) -> Any:
    if value is None or value == "":
        return value
    if isinstance(value, (dict, list)):
        return DOT * 4
    return mask_value(value)


def current_policy() -> MaskPolicy:
    """The app's policy (config ``sensitive_fields``), or the built-in one outside a request."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return MaskPolicy()
    return MaskPolicy.from_setting(current_app.config["HOTLINE"].values.get("sensitive_fields"))


def mask_customer(card: dict[str, Any] | None, role: str | None,
                  policy: MaskPolicy | None = None) -> dict[str, Any] | None:
    """A copy of ``card`` safe for ``role`` (unchanged for supervisors and admins)."""
    if card is None or level(role) >= LEVELS["supervisor"]:
        return card
    policy = policy or current_policy()
    out = copy.deepcopy(card)
    for key, value in out.items():
        if key == "fields" and isinstance(value, dict):
            out[key] = {k: (_mask_whole(v) if policy.is_sensitive(k) else _scan(v, policy)) for k, v in value.items()}
        elif key not in ("id", "name", "tier", "language", "numbers"):
            out[key] = _scan(value, policy)
    return out


def mask_message(message: dict[str, Any], role: str | None, policy: MaskPolicy | None = None) -> dict[str, Any]:
    """Live messages carry the customer card too (the pop); mask it the same way. An event stream
    runs outside the request, so it passes the ``policy`` it read when the stream began."""
    if isinstance(message.get("customer"), dict) and level(role) < LEVELS["supervisor"]:
        return {**message, "customer": mask_customer(message["customer"], role, policy)}
    return message
