"""Writing report rows (reports.kpis.CallRow) as the call records, wrap-up facts and CSAT answers
the report queries read: shared by the report and rollup tests."""
from __future__ import annotations

from records.models import Call
from records.wrapup_models import CallFacts, CsatResponse
from reports.kpis import CallRow


def write(sessions, rows: list[CallRow]) -> None:
    with sessions() as s, s.begin():
        for r in rows:
            s.add(Call(call_id=r.call_id, caller=r.caller, did=r.did, queue=r.queue, agent_id=r.agent_id,
                       entered_at=r.entered_at, answered_at=r.answered_at, outcome=r.outcome, wait_s=r.wait_s,
                       talk_s=r.talk_s, ivr_path=[], offers=[], explanations=[]))
            if r.hold_s or r.wrap_s or r.transferred:
                s.add(CallFacts(call_id=r.call_id, hold_s=r.hold_s, wrap_s=r.wrap_s, transferred=r.transferred,
                                follow_up=False))
            if r.csat is not None:
                s.add(CsatResponse(call_id=r.call_id, score=r.csat))
