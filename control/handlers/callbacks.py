"""Callbacks: a caller who leaves a number keeps their place in line as a virtual call.

A callback call (``Call.kind == "callback"``) waits in live state like any caller, with the
original ``entered_at``, priority and requirements, so the router serves it in its original
order. It has no caller leg: when an agent is reserved for it, callback_offer.py rings the
agent and then dials the customer. This module makes those calls (from a caller's request,
from due rows of the ``callbacks`` table) and runs the timers: a retry after an unanswered
attempt, the next scheduled row, and a slow safety sweep for what another controller armed.
"""
from __future__ import annotations

import logging

import gevent
import gevent.event
from sqlalchemy.exc import SQLAlchemyError

from control import events
from control.domain.models import Call, CallState
from control.domain.numbers import normalize
from control.handlers import callback_offer
from control.handlers.callback_cancel import cancel_waiting

log = logging.getLogger(__name__)

CLAIM_TTL_S = 7 * 24 * 3600   # a row is injected once; the claim outlives any retry schedule


def callback_id(original_call_id: str) -> str:
    return f"cb-{original_call_id}"


def from_request(call: Call, number: str, original_record_id: str, now: float, default_queue: str) -> Call:
    """The virtual call for a caller's callback request: same place in line, same needs."""
    vars_: dict[str, object] = {k: call.vars[k] for k in ("customer", "customer_partial", "customer_name") if k in call.vars}
    vars_["callback"] = {"number": number, "original_call_id": original_record_id, "attempts": 0}
    return Call(id=callback_id(original_record_id), caller=number, did=call.did, queue=call.queue or default_queue,
                requirements=list(call.requirements), priority=call.priority, tier=call.tier,
                language=call.language, customer_id=call.customer_id, state=CallState.QUEUED, created_at=now,
                entered_at=call.entered_at if call.entered_at is not None else now, seq=call.seq,
                ivr_path=[*call.ivr_path, "callback requested"], extra_queues=list(call.extra_queues),
                vars=vars_, kind="callback")


def from_row(row: dict, now: float, default_queue: str, did: str = "") -> Call:
    """The virtual call for a scheduled row; its place in line is its due time."""
    info = {"number": row["number"], "original_call_id": row.get("call_id"), "attempts": 0, "row_id": row["id"],
            "note": row.get("note")}
    return Call(id=callback_id(f"row-{row['id']}"), caller=row["number"], did=did,
                queue=row.get("queue") or default_queue, customer_id=row.get("customer_id"),
                state=CallState.QUEUED, created_at=now, entered_at=row["due_at"],
                ivr_path=[f"scheduled callback #{row['id']}"], vars={"callback": info}, kind="callback")


def inject(deps, manager, call: Call) -> None:
    if deps.queues.current().get(call.queue) is None:
        log.warning("callback %s waits in unknown queue %r: no agent will be offered it", call.id, call.queue)
    deps.store.put_call(call)
    manager.trigger(broadcast=True)
    deps.publisher.publish("wallboard", events.queued(call.id, call.queue, call.caller, call.priority, kind="callback"))


def request_callback(deps, manager, call: Call, number: str) -> Call:
    """The caller asked to be called back (exit key, overflow, IVR callback node)."""
    cfg = deps.config
    segment = int(call.vars.get("segment") or 0)
    record_id = call.id if not segment else f"{call.id}:{segment}"
    virtual = from_request(call, normalize(number, cfg.default_region), record_id, deps.now(), cfg.callback_queue)
    inject(deps, manager, virtual)
    return virtual


class LegWatch:
    """Hangup events of the legs a callback conversation uses (from the inbound Event Socket)."""

    def __init__(self, switch):
        self._gone: dict[str, gevent.event.Event] = {}
        switch.subscribe(self._on_event)

    def watch(self, uuid: str) -> gevent.event.Event:
        return self._gone.setdefault(uuid, gevent.event.Event())

    def forget(self, *uuids: str) -> None:
        for uuid in uuids:
            self._gone.pop(uuid, None)

    def _on_event(self, headers) -> None:
        if headers.get("Event-Name") in ("CHANNEL_HANGUP_COMPLETE", "CHANNEL_HANGUP"):
            event = self._gone.get(headers.get("Unique-ID", ""))
            if event is not None:
                event.set()


class CallbackService:
    """Timers for deferred retries (Redis) and scheduled rows (SQL); no polling loop."""

    def __init__(self, deps, manager, rows=None):
        self.deps, self.manager, self.rows = deps, manager, rows
        self.legs = LegWatch(deps.switch)
        self._retry_timer: gevent.Greenlet | None = None
        self._row_timer: gevent.Greenlet | None = None
        self._retry_due: float | None = None
        self._row_due: float | None = None
        self._taken_elsewhere: set[int] = set()
        self._greenlets: list[gevent.Greenlet] = []
        self.running = False

    def offer(self, decision, call: Call, agent) -> None:
        """An agent is reserved for a callback call: ring them, then dial the customer (callback_offer.py)."""
        callback_offer.run(self.manager, decision, call, agent)

    def start(self) -> None:
        self.running = True
        # new rows wake it through the manager's control channel (``callback_scheduled``)
        self._greenlets = [gevent.spawn(self._sweep_loop)]

    def stop(self) -> None:
        self.running = False
        gevent.killall([g for g in (*self._greenlets, self._retry_timer, self._row_timer) if g is not None])

    # -- retries after an unanswered attempt (Redis: any controller may requeue) -----------
    def arm_retry(self, due: float | None = None) -> None:
        due = self.deps.store.next_deferred() if due is None else due
        if due is None or (self._retry_due is not None and self._retry_due <= due and self._alive(self._retry_timer)):
            return
        self._retry_due = due
        _kill(self._retry_timer)
        self._retry_timer = gevent.spawn_later(max(0.0, due - self.deps.now()), self.requeue_due)

    def requeue_due(self) -> list[str]:
        self._retry_due = None
        ids = self.deps.store.requeue_due(self.deps.now())
        for call_id in ids:
            log.info("callback %s: retry due, back in the queue", call_id)
            self.deps.publisher.publish("wallboard", events.queued(call_id, None, None, None, kind="callback"))
        if ids:
            self.manager.trigger(broadcast=True)
        self.arm_retry()
        return ids

    # -- scheduled rows (SQL: one controller claims each row in Redis) -----------------------
    def arm_rows(self, due: float | None = None) -> None:
        if self.rows is None:
            return
        if due is None:
            due = self.deps.offload(self.rows.next_due, sorted(self._taken_elsewhere))
        if due is None or (self._row_due is not None and self._row_due <= due and self._alive(self._row_timer)):
            return
        self._row_due = due
        _kill(self._row_timer)
        self._row_timer = gevent.spawn_later(max(0.0, due - self.deps.now()), self._fire_rows)

    def _fire_rows(self) -> None:
        self._row_due = None
        try:
            self.inject_due_rows()
            self.arm_rows()
        except SQLAlchemyError as exc:   # the database is down: the next sweep tries again
            log.warning("scheduled callbacks not read: %s", exc.__class__.__name__)

    def inject_due_rows(self) -> list[str]:
        deps, injected = self.deps, []
        for row in deps.offload(self.rows.due, deps.now()):
            if not deps.store.claim_once(f"callback-row:{row['id']}", CLAIM_TTL_S):
                self._taken_elsewhere.add(row["id"])
                continue
            call = from_row(row, deps.now(), deps.config.callback_queue)
            self._identify(call)
            inject(deps, self.manager, call)
            deps.offload(self.rows.mark, row["id"], "queued", call_id=call.id, queued_at=deps.now())
            log.info("scheduled callback #%s due: %s queued for %s", row["id"], call.id, call.queue)
            injected.append(call.id)
        return injected

    def _identify(self, call: Call) -> None:
        """The customer's card for the pop; best effort within the CRM budget."""
        try:
            with gevent.Timeout(self.deps.config.crm_timeout_ms / 1000.0):
                card = self.deps.offload(self.deps.customers.by_number, call.caller)
        except gevent.Timeout:
            card = None
        except Exception:  # the CRM is an outside system; the callback goes ahead without a card
            log.warning("customer lookup for callback %s failed", call.id, exc_info=True)
            card = None
        if card:
            call.vars.update(customer=card, customer_name=card.get("name", ""))
            call.customer_id = call.customer_id or card.get("id")
            call.tier, call.language = card.get("tier"), card.get("language") or call.language

    def row_finished(self, call: Call, result: str, **details) -> None:
        row_id = (call.vars.get("callback") or {}).get("row_id")
        if row_id is None or self.rows is None:
            return
        try:
            self.deps.offload(self.rows.mark, row_id, result, call_id=call.id, **details)
        except Exception:  # the call record has the outcome too; the row is the console's view of it
            log.warning("callback row %s not marked %s", row_id, result, exc_info=True)

    def cancel(self, data: dict) -> dict | None:
        """The console's ``callback_cancel``: take a waiting callback call out (callback_cancel.py)
        and mark its row cancelled. None when another controller took the request."""
        reply = cancel_waiting(self.deps, data)
        if reply and reply["ok"] and reply.get("row_id") is not None and self.rows is not None:
            try:
                self.deps.offload(self.rows.cancel, reply["row_id"], data.get("by"), self.deps.now())
            except SQLAlchemyError:   # the call record says cancelled; the row is the console's view
                log.warning("callback row %s not marked cancelled", reply["row_id"], exc_info=True)
        return reply

    # -- wake-ups ------------------------------------------------------------------------------
    def _sweep_loop(self) -> None:
        first = True
        while self.running:
            if not first:
                gevent.sleep(self.deps.config.callback_sweep_s)
            first = False
            try:
                self.sweep()
            except SQLAlchemyError as exc:
                log.warning("scheduled callbacks not read: %s", exc.__class__.__name__)
            except Exception:  # keep the sweep alive; timers still run and the next sweep retries
                log.exception("callback sweep failed")

    def sweep(self) -> None:
        self._taken_elsewhere.clear()
        self.arm_retry()
        self.arm_rows()

    @staticmethod
    def _alive(greenlet) -> bool:
        return greenlet is not None and not greenlet.dead


def _kill(greenlet) -> None:
    if greenlet is not None and not greenlet.dead and greenlet is not gevent.getcurrent():
        greenlet.kill(block=False)
