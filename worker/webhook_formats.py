"""Webhook bodies: signed JSON, and the chat formats of DingTalk, WeCom and Slack.

``render(format, secret, url, payload, delivery_id, now)`` -> (url, body bytes, headers).

Signed JSON: ``X-Hotline-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed by the
target's secret>``; the body carries ``delivery`` (stable across retries, for de-duplication)
and ``sent_at``. Receivers check it with ``verify(secret, body, header)``.
DingTalk robots with "signing" get ``timestamp`` and ``sign`` query parameters as DingTalk
documents (HMAC-SHA256 of ``"<ms>\\n<secret>"``, base64, URL-encoded). WeCom and Slack
webhooks carry their key in the URL.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import quote_plus

EVENT = "call.ended"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(sign(secret, body), header)


def dingtalk_signed_url(url: str, secret: str, now: float) -> str:
    ms = int(now * 1000)
    mac = hmac.new(secret.encode(), f"{ms}\n{secret}".encode(), hashlib.sha256).digest()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}timestamp={ms}&sign={quote_plus(base64.b64encode(mac).decode())}"


def text_lines(payload: dict) -> list[str]:
    lines = [payload.get("summary") or f"Call {payload['call_id']} ended"]
    for label, key in (("Caller", "caller"), ("Queue", "queue"), ("Agent", "agent_id"),
                       ("Outcome", "outcome"), ("Disposition", "disposition"), ("Wait s", "wait_s")):
        if payload.get(key) not in (None, ""):
            lines.append(f"{label}: {payload[key]}")
    return lines


def _dump(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str).encode()


def render(fmt: str, secret: str | None, url: str, payload: dict, delivery_id: str,
           now: float) -> tuple[str, bytes, dict[str, str]]:
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Hotline-Event": EVENT,
               "X-Hotline-Delivery": delivery_id}
    lines = text_lines(payload)
    if fmt == "json":
        body = _dump({"event": EVENT, "delivery": delivery_id, "sent_at": round(now, 3), "call": payload})
        if secret:
            headers["X-Hotline-Signature"] = sign(secret, body)
        return url, body, headers
    if fmt == "dingtalk":
        text = "\n\n".join([f"#### {lines[0]}", *lines[1:]])
        body = _dump({"msgtype": "markdown", "markdown": {"title": lines[0][:64], "text": text}})
        return (dingtalk_signed_url(url, secret, now) if secret else url), body, headers
    if fmt == "wecom":
        return url, _dump({"msgtype": "markdown", "markdown": {"content": "\n".join(
            [f"**{lines[0]}**", *(f"> {line}" for line in lines[1:])])}}), headers
    if fmt == "slack":
        text = "\n".join([f"*{lines[0]}*", *lines[1:]])
        return url, _dump({"text": lines[0], "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}}]}), headers
    raise ValueError(f"unknown webhook format {fmt!r}")


def accepted(fmt: str, status: int, body: bytes) -> str | None:
    """None when the receiver took the message, else why not.

    DingTalk and WeCom answer HTTP 200 with ``{"errcode": <non-zero>}`` on errors.
    """
    if not 200 <= status < 300:
        return f"HTTP {status}"
    if fmt in ("dingtalk", "wecom"):
        try:
            code = json.loads(body or b"{}").get("errcode", 0)
        except (ValueError, AttributeError):
            return "unreadable reply"
        if code:
            return f"errcode {code}"
    return None
