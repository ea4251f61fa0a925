"""Settings of the after-call jobs, from HOTLINE_* environment variables (read when a job runs).

| variable | default | meaning |
|---|---|---|
| HOTLINE_ARCHIVE_DIR | var/archive | recordings are moved to ``<dir>/YYYY/MM/DD/<call id>.<ext>`` |
| HOTLINE_SMS_PROVIDER | log | ``log``, ``http`` or empty (no post-call SMS) |
| HOTLINE_SMS_URL / HOTLINE_SMS_TOKEN | | the generic HTTP provider's endpoint and bearer token |
| HOTLINE_SURVEY_TEXT | see below | SMS text; ``{call_id}`` and ``{queue}`` are filled in |
| HOTLINE_CRM_WRITEBACK_URL | | ``PUT <url>/calls/<call id>`` with the summary; empty = off |
| HOTLINE_TICKET_DISPOSITIONS | follow-up,callback-needed,complaint,escalated | dispositions that open a ticket |
| HOTLINE_WRAPUP_RETRY | 1,5,15,60,300 | seconds between retries (rq Retry; max = number of values) |
| HOTLINE_HTTP_TIMEOUT_S | 5 | timeout of every outbound HTTP call |
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from control.paths import var_dir

DEFAULT_SURVEY = "Thanks for calling. How did we do? Reply 1 (poor) to 5 (great). Ref {call_id}"


@dataclass(frozen=True)
class Settings:
    archive_dir: Path = var_dir() / "archive"
    sms_provider: str = "log"
    sms_url: str = ""
    sms_token: str = ""
    survey_text: str = DEFAULT_SURVEY
    crm_writeback_url: str = ""
    ticket_dispositions: tuple[str, ...] = ("follow-up", "callback-needed", "complaint", "escalated")
    retry_intervals: tuple[int, ...] = (1, 5, 15, 60, 300)
    http_timeout_s: float = 5.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        d = cls()

        def get(name: str, default):
            return env.get(f"HOTLINE_{name}", default)

        def items(raw) -> tuple[str, ...]:
            return tuple(x.strip() for x in str(raw).split(",") if x.strip())

        retry = get("WRAPUP_RETRY", None)
        return cls(
            archive_dir=Path(get("ARCHIVE_DIR", d.archive_dir)),
            sms_provider=get("SMS_PROVIDER", d.sms_provider).strip().lower(),
            sms_url=get("SMS_URL", d.sms_url),
            sms_token=get("SMS_TOKEN", d.sms_token),
            survey_text=get("SURVEY_TEXT", d.survey_text),
            crm_writeback_url=get("CRM_WRITEBACK_URL", d.crm_writeback_url).rstrip("/"),
            ticket_dispositions=items(get("TICKET_DISPOSITIONS", ",".join(d.ticket_dispositions))),
            retry_intervals=tuple(int(x) for x in items(retry)) if retry is not None else d.retry_intervals,
            http_timeout_s=float(get("HTTP_TIMEOUT_S", d.http_timeout_s)),
        )
