"""The caller's card from the built-in store merged with the external CRM (ports.CustomerLookup).

The built-in card keeps its id, open tickets and last calls (tickets and notes hang off it);
the CRM, the system of record for who the customer is, wins on name, tier and language, and
adds its tags and custom fields. When the CRM was slow, down or answered garbage the card is
still returned, marked ``partial: true``. With no card at all and a failed CRM the lookup raises
``LookupIncomplete`` (an unknown caller would be a guess): the controller's ``_identify`` already
treats an exception as "no card, partial", so the pop is never held up.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from records.crm import CrmError

log = logging.getLogger(__name__)
CRM_WINS = ("name", "tier", "language")


class LookupIncomplete(CrmError):
    """No built-in card, and the CRM could not be asked."""


def merge(builtin: dict[str, Any] | None, crm: dict[str, Any] | None) -> dict[str, Any] | None:
    if builtin is None or crm is None:
        present = builtin if builtin is not None else crm
        return dict(present) if present else None
    out = dict(builtin)
    for key in CRM_WINS:
        if crm.get(key):
            out[key] = crm[key]
    out["tags"] = list(dict.fromkeys([*(builtin.get("tags") or []), *(crm.get("tags") or [])]))
    out["fields"] = {**(builtin.get("fields") or {}), **(crm.get("fields") or {})}
    out["crm_id"] = crm.get("crm_id")
    out["account"] = builtin.get("account") or crm.get("account")
    out["source"] = "builtin+crm"
    return out


class CustomerLookup:
    def __init__(self, builtin, crm=None, budget_s: float | None = None):
        self.builtin, self.crm = builtin, crm
        # The CRM gets what is left of the budget after the (fast, local) built-in lookup.
        self.budget_s = budget_s if budget_s is not None else getattr(crm, "timeout_s", None)

    def by_number(self, e164: str) -> dict[str, Any] | None:
        return self._combined("by_number", e164)

    def by_account(self, account: str) -> dict[str, Any] | None:
        return self._combined("by_account", account)

    def _combined(self, method: str, value: str) -> dict[str, Any] | None:
        started = time.monotonic()
        card = getattr(self.builtin, method)(value)
        if self.crm is None:
            return card
        remaining = None
        if self.budget_s is not None:
            remaining = max(0.001, self.budget_s - (time.monotonic() - started))
        try:
            external = getattr(self.crm, method)(value, budget_s=remaining)
        except CrmError as exc:
            log.info("CRM lookup incomplete for %s: %s", value, exc)
            if card is None:
                raise LookupIncomplete(str(exc)) from exc
            return {**card, "partial": True}
        merged = merge(card, external)
        if merged is not None:
            merged["partial"] = False
        return merged
