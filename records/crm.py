"""An external CRM over REST, with the interface of records.customers.CustomerStore.

``CrmClient.by_number(e164)`` / ``by_account(account)`` return a card dict, None when the CRM
does not know the customer, and raise ``CrmError`` when the CRM is slow (over the time budget),
down, or answers garbage; while the circuit is open they raise ``CrmUnavailable`` at once.
Answers (found or not) are cached in Redis for ``crm_cache_ttl_s``; failures never are.
The mapping from the CRM's fields to the card is declared in a YAML file (``crm_mapping_file``).
"""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
import urllib3
import yaml

from control.errors import CrmError
from records.breaker import CircuitBreaker

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20
CARD_KEYS = ("crm_id", "name", "tier", "language", "tags", "account")
DEFAULT_MAPPING: dict[str, Any] = {
    "by_number": "/customers?phone={number}",
    "by_account": "/customers/{account}",
    "result": "",                 # dotted path to the record inside the answer ("" = the answer itself)
    "fields": {"crm_id": "id", "name": "name", "tier": "tier", "language": "language", "tags": "tags",
               "account": "account"},
    "values": {},                 # card key -> {external value: card value}
    "extra": {},                  # card "fields" entries: label -> external field
    "breaker": {"failures": 5, "cooldown_s": 30},
}


class CrmUnavailable(CrmError):
    """The circuit is open: the CRM is not asked at all."""


def load_mapping(path: str | Path | None) -> dict[str, Any]:
    mapping = json.loads(json.dumps(DEFAULT_MAPPING))
    if not path:
        return mapping
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a CRM mapping must be a mapping")
    unknown = set(data) - set(DEFAULT_MAPPING)
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
    bad = set(data.get("fields") or {}) - set(CARD_KEYS)
    if bad:
        raise ValueError(f"{path}: fields may only map {', '.join(CARD_KEYS)}, not {sorted(bad)}")
    for key, value in data.items():
        if isinstance(mapping[key], dict):
            if not isinstance(value or {}, dict):
                raise ValueError(f"{path}: {key} must be a mapping")
            mapping[key].update(value or {})
        else:
            mapping[key] = value
    return mapping


def _get(record: Any, dotted: str) -> Any:
    for part in [p for p in str(dotted).split(".") if p]:
        if isinstance(record, dict):
            record = record.get(part)
        elif isinstance(record, list) and part.isdigit() and int(part) < len(record):
            record = record[int(part)]
        else:
            return None
    return record


def _short(value: Any, limit: int) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value).strip()[:limit] or None


def map_record(record: Any, mapping: dict[str, Any]) -> dict[str, Any]:
    """The CRM's record as a card; raises CrmError when it is not a customer record."""
    if isinstance(record, list):
        record = record[0] if record else None
    if not isinstance(record, dict):
        raise CrmError("the CRM record is not an object")
    fields, values = mapping["fields"], mapping["values"]

    def pick(key: str) -> Any:
        raw = _get(record, fields[key]) if fields.get(key) else None
        table = values.get(key) or {}
        return table.get(raw, raw) if isinstance(raw, (str, int)) else raw

    name = _short(pick("name"), 300)
    if not name:
        raise CrmError("the CRM record has no name")
    tags = pick("tags")
    tags = [str(t)[:50] for t in tags if isinstance(t, (str, int))] if isinstance(tags, list) else []
    extra = {}
    for label, source in (mapping.get("extra") or {}).items():
        value = _get(record, source)
        if value is not None and not isinstance(value, (dict, list)):
            extra[str(label)] = str(value)[:500]
    return {"id": None, "crm_id": _short(pick("crm_id"), 64), "name": name,
            "tier": (_short(pick("tier"), 20) or "standard").lower(), "language": _short(pick("language"), 16),
            "tags": tags, "fields": extra, "account": _short(pick("account"), 64), "source": "crm"}


class CrmClient:
    def __init__(self, base_url: str, mapping: dict[str, Any] | None = None, timeout_ms: int = 300,
                 cache=None, prefix: str = "hotline", cache_ttl_s: int = 300,
                 breaker: CircuitBreaker | None = None, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.mapping = mapping or load_mapping(None)
        self.timeout_s = max(0.001, timeout_ms / 1000.0)
        self.cache, self.prefix, self.cache_ttl_s = cache, prefix, int(cache_ttl_s)
        settings = self.mapping.get("breaker") or {}
        self.breaker = breaker or CircuitBreaker(settings.get("failures", 5), settings.get("cooldown_s", 30))
        self.http = session or requests.Session()

    @classmethod
    def from_config(cls, config, cache=None) -> "CrmClient | None":
        if not config.crm_url:
            return None
        return cls(config.crm_url, load_mapping(config.crm_mapping_file), config.crm_timeout_ms, cache=cache,
                   prefix=config.redis_prefix, cache_ttl_s=config.crm_cache_ttl_s)

    def by_number(self, e164: str, budget_s: float | None = None) -> dict[str, Any] | None:
        if not e164 or not e164.startswith("+"):
            return None
        return self._lookup("number", e164, self.mapping["by_number"].format(number=quote(e164, safe="")),
                            budget_s)

    def by_account(self, account: str, budget_s: float | None = None) -> dict[str, Any] | None:
        account = str(account or "").strip()
        if not account:
            return None
        return self._lookup("account", account,
                            self.mapping["by_account"].format(account=quote(account, safe="")), budget_s)

    # -- internals ------------------------------------------------------------------
    def _cache_key(self, kind: str, value: str) -> str:
        return f"{self.prefix}:crm:{kind}:{value}"

    def _cached(self, key: str) -> tuple[bool, dict | None]:
        if self.cache is None:
            return False, None
        try:
            raw = self.cache.get(key)
        except Exception:  # noqa: BLE001 - the cache is best effort; a Redis hiccup must not fail the lookup
            log.debug("CRM cache read failed", exc_info=True)
            return False, None
        if raw is None:
            return False, None
        try:
            return True, json.loads(raw)["card"]
        except (ValueError, KeyError, TypeError):
            return False, None

    def _store(self, key: str, card: dict | None) -> None:
        if self.cache is None or self.cache_ttl_s <= 0:
            return
        try:
            self.cache.set(key, json.dumps({"card": card}), ex=self.cache_ttl_s)
        except Exception:  # noqa: BLE001 - best effort, see _cached
            log.debug("CRM cache write failed", exc_info=True)

    def _lookup(self, kind: str, value: str, path: str, budget_s: float | None) -> dict | None:
        key = self._cache_key(kind, value)
        hit, card = self._cached(key)
        if hit:
            return card
        if not self.breaker.allow():
            raise CrmUnavailable("the CRM circuit is open")
        try:
            card = self._fetch(path, min(self.timeout_s, budget_s) if budget_s else self.timeout_s)
        except CrmError:
            self.breaker.failure()
            raise
        self.breaker.success()
        self._store(key, card)
        return card

    def _fetch(self, path: str, budget_s: float) -> dict | None:
        deadline = time.monotonic() + budget_s
        try:
            with self.http.get(self.base_url + path, timeout=(budget_s, budget_s), stream=True,
                               headers={"Accept": "application/json"}) as response:
                if response.status_code == 404:
                    return None
                if response.status_code != 200:
                    raise CrmError(f"the CRM answered HTTP {response.status_code}")
                body = bytearray()
                # A server that trickles bytes never trips the per-read timeout; the deadline is total.
                while chunk := response.raw.read1(65536, decode_content=True):
                    body += chunk
                    if time.monotonic() > deadline:
                        raise CrmError("the CRM was slower than the time budget")
                    if len(body) > MAX_BODY:
                        raise CrmError("the CRM answer is too large")
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise CrmError(f"the CRM did not answer: {exc.__class__.__name__}") from exc
        try:
            data = json.loads(bytes(body).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise CrmError("the CRM answer is not JSON") from exc
        record = _get(data, self.mapping.get("result") or "")
        if record is None or record == []:
            return None
        return map_record(record, self.mapping)
