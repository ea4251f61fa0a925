"""SMS providers: ``send(to, text, reference) -> provider message id``.

A provider raises ``NotSent`` when the message surely did not go out (retry is safe) and
``InDoubt`` when it may have (the job then stops rather than risk a second SMS). ``reference``
is the effect key; the HTTP provider passes it as ``Idempotency-Key``.

- ``LoggingProvider``: writes the message to the log and keeps it in ``sent`` (demo, tests).
- ``HttpProvider(url, token)``: ``POST url`` with ``{"to", "text", "reference"}`` and a bearer
  token; any 2xx is success (``id`` or ``message_id`` in a JSON reply is kept).
"""
from __future__ import annotations

import logging
from typing import Protocol

import requests

log = logging.getLogger(__name__)


class NotSent(RuntimeError):
    pass


class InDoubt(RuntimeError):
    pass


class SmsProvider(Protocol):
    def send(self, to: str, text: str, reference: str) -> str: ...


class LoggingProvider:
    sent: list[tuple[str, str, str]] = []   # class-wide, so a test sees what a worker process sent

    def send(self, to: str, text: str, reference: str) -> str:
        log.info("SMS to %s (%s): %s", to, reference, text)
        LoggingProvider.sent.append((to, text, reference))
        return f"log-{reference}"


class HttpProvider:
    def __init__(self, url: str, token: str = "", timeout_s: float = 5.0):
        if not url:
            raise ValueError("the http SMS provider needs HOTLINE_SMS_URL")
        self.url, self.token, self.timeout_s = url, token, timeout_s

    def send(self, to: str, text: str, reference: str) -> str:
        headers = {"Idempotency-Key": reference}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            reply = requests.post(self.url, json={"to": to, "text": text, "reference": reference},
                                  headers=headers, timeout=self.timeout_s)
        except requests.ConnectTimeout as exc:
            raise NotSent(str(exc)) from exc
        except requests.ConnectionError as exc:
            if _refused(exc):
                raise NotSent(str(exc)) from exc
            raise InDoubt(str(exc)) from exc     # reset mid-request: it may have gone out
        except requests.Timeout as exc:
            raise InDoubt(str(exc)) from exc
        if reply.status_code >= 500 or reply.status_code == 429:
            raise NotSent(f"HTTP {reply.status_code}")
        if not 200 <= reply.status_code < 300:
            raise NotSent(f"HTTP {reply.status_code}: rejected")
        try:
            data = reply.json()
        except ValueError:
            data = {}
        return str(data.get("id") or data.get("message_id") or "") if isinstance(data, dict) else ""


def _refused(exc: requests.ConnectionError) -> bool:
    from urllib3.exceptions import NewConnectionError

    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def provider_for(settings) -> SmsProvider | None:
    if settings.sms_provider in ("", "none", "off"):
        return None
    if settings.sms_provider == "log":
        return LoggingProvider()
    if settings.sms_provider == "http":
        return HttpProvider(settings.sms_url, settings.sms_token, settings.http_timeout_s)
    raise ValueError(f"unknown SMS provider {settings.sms_provider!r} (log, http or empty)")
