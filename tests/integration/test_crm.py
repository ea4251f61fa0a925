"""The CRM adapter against a local HTTP stub that is fine, slow, down (closed port) or answers garbage."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from records.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from records.crm import CrmClient, CrmError, CrmUnavailable, load_mapping, map_record
from records.lookup import CustomerLookup, LookupIncomplete
from tests.conftest import free_port

pytestmark = pytest.mark.integration
MAPPING = """
by_number: "/v1/people?phone={number}"
result: data
fields: {crm_id: ref, name: full_name, tier: value_level, tags: segments, language: lang}
values: {tier: {platinum: vip, silver: standard}}
extra: {company: employer.name}
breaker: {failures: 2, cooldown_s: 60}
"""
PERSON = {"ref": "C-77", "full_name": "Ann Lee (CRM)", "value_level": "platinum", "segments": ["churn-risk"],
          "lang": "en", "employer": {"name": "Lee Logistics"}}


class Stub:
    def __init__(self):
        self.mode, self.hits, self.paths = "ok", 0, []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                stub.hits += 1
                stub.paths.append(self.path)
                if stub.mode == "slow":
                    time.sleep(1.0)
                if stub.mode == "trickle":   # each byte in time, the whole answer far too late
                    self.send_response(200)
                    self.end_headers()
                    for ch in json.dumps({"data": PERSON}):
                        self.wfile.write(ch.encode())
                        self.wfile.flush()
                        time.sleep(0.01)
                    return
                if stub.mode == "missing":
                    body, status = b'{"data": null}', 200
                elif stub.mode == "garbage":
                    body, status = b"<html>500 oops</html>", 200
                elif stub.mode == "wrong-shape":
                    body, status = b'{"data": {"full_name": ["not", "a", "name"]}}', 200
                elif stub.mode == "error":
                    body, status = b"{}", 503
                else:
                    body, status = json.dumps({"data": PERSON}).encode(), 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    s = Stub()
    yield s
    s.close()


@pytest.fixture
def mapping(tmp_path):
    path = tmp_path / "crm.yaml"
    path.write_text(MAPPING)
    return load_mapping(path)


class Builtin:
    def __init__(self, cards):
        self.cards = cards

    def by_number(self, e164):
        return self.cards.get(e164)

    def by_account(self, account):
        return None


BUILTIN_ANN = {"id": 1, "name": "Ann Lee", "tier": "gold", "tags": ["enterprise"], "fields": {"plan": "Ent"},
               "language": "en", "open_tickets": [{"id": 5, "subject": "x"}], "last_calls": []}


def test_mapping_declares_value_level_as_tier(stub, mapping):
    card = CrmClient(stub.url, mapping, timeout_ms=500).by_number("+14155550100")
    assert card["name"] == "Ann Lee (CRM)" and card["tier"] == "vip" and card["crm_id"] == "C-77"
    assert card["fields"] == {"company": "Lee Logistics"} and card["tags"] == ["churn-risk"]
    assert stub.paths == ["/v1/people?phone=%2B14155550100"]


def test_unknown_mapping_keys_are_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("fields: {password: pw}\n")
    with pytest.raises(ValueError, match="password"):
        load_mapping(path)


def test_not_found_is_none_not_an_error(stub, mapping):
    stub.mode = "missing"
    assert CrmClient(stub.url, mapping, timeout_ms=500).by_number("+14155550100") is None


@pytest.mark.parametrize("mode", ["garbage", "wrong-shape", "error"])
def test_garbage_is_an_error(stub, mapping, mode):
    stub.mode = mode
    with pytest.raises(CrmError):
        CrmClient(stub.url, mapping, timeout_ms=500).by_number("+14155550100")


@pytest.mark.parametrize("mode", ["slow", "trickle"])
def test_slow_crm_is_cut_at_the_time_budget(stub, mapping, mode):
    stub.mode = mode
    client = CrmClient(stub.url, mapping, timeout_ms=200)
    started = time.monotonic()
    with pytest.raises(CrmError):
        client.by_number("+14155550100")
    # cut near the 0.2 s budget, long before the stub's answer (1 s and more); the margin is for a
    # machine busy with the rest of the suite
    assert time.monotonic() - started < 0.9


def test_dead_crm_fails_fast(mapping):
    client = CrmClient(f"http://127.0.0.1:{free_port()}", mapping, timeout_ms=300)
    started = time.monotonic()
    with pytest.raises(CrmError):
        client.by_number("+14155550100")
    assert time.monotonic() - started < 0.35


def test_breaker_opens_after_n_failures_and_half_opens_after_cooldown(stub, mapping):
    now = [0.0]
    breaker = CircuitBreaker(failures=2, cooldown_s=10, clock=lambda: now[0])
    client = CrmClient(stub.url, mapping, timeout_ms=500, breaker=breaker)
    stub.mode = "garbage"
    for _ in range(2):
        with pytest.raises(CrmError):
            client.by_number("+14155550100")
    assert breaker.state == OPEN
    hits = stub.hits
    with pytest.raises(CrmUnavailable):
        client.by_number("+14155550100")
    assert stub.hits == hits                      # an open circuit does not call the CRM
    now[0] = 10.0
    assert breaker.state == HALF_OPEN
    with pytest.raises(CrmError):                 # the trial fails: open again
        client.by_number("+14155550100")
    assert breaker.state == OPEN and stub.hits == hits + 1
    now[0] = 20.0
    stub.mode = "ok"
    assert client.by_number("+14155550100")["tier"] == "vip"
    assert breaker.state == CLOSED


def test_half_open_lets_one_trial_through():
    now = [0.0]
    breaker = CircuitBreaker(failures=1, cooldown_s=1, clock=lambda: now[0])
    breaker.failure()
    assert not breaker.allow()
    now[0] = 1.0
    assert breaker.allow() and not breaker.allow()


def test_answers_are_cached_in_redis_with_ttl(stub, mapping, redis_client, redis_prefix):
    client = CrmClient(stub.url, mapping, timeout_ms=500, cache=redis_client, prefix=redis_prefix, cache_ttl_s=60)
    assert client.by_number("+14155550100")["name"] == "Ann Lee (CRM)"
    stub.mode = "garbage"
    assert client.by_number("+14155550100")["name"] == "Ann Lee (CRM)"   # from the cache
    assert stub.hits == 1
    ttl = redis_client.ttl(f"{redis_prefix}:crm:number:+14155550100")
    assert 0 < ttl <= 60
    with pytest.raises(CrmError):                 # failures are never cached
        client.by_number("+14155550199")
    assert redis_client.get(f"{redis_prefix}:crm:number:+14155550199") is None


def test_combined_lookup_merges_builtin_and_crm(stub, mapping):
    lookup = CustomerLookup(Builtin({"+14155550100": BUILTIN_ANN}), CrmClient(stub.url, mapping, timeout_ms=500))
    card = lookup.by_number("+14155550100")
    assert card["id"] == 1 and card["open_tickets"] == [{"id": 5, "subject": "x"}]
    assert card["name"] == "Ann Lee (CRM)" and card["tier"] == "vip"
    assert card["tags"] == ["enterprise", "churn-risk"]
    assert card["fields"] == {"plan": "Ent", "company": "Lee Logistics"}
    assert card["partial"] is False
    only_crm = lookup.by_number("+14155550177")
    assert only_crm["id"] is None and only_crm["name"] == "Ann Lee (CRM)"


@pytest.mark.parametrize("mode", ["slow", "garbage", "dead"])
def test_combined_lookup_marks_partial_and_never_waits(stub, mapping, mode):
    url = f"http://127.0.0.1:{free_port()}" if mode == "dead" else stub.url
    stub.mode = mode
    lookup = CustomerLookup(Builtin({"+14155550100": BUILTIN_ANN}), CrmClient(url, mapping, timeout_ms=200))
    started = time.monotonic()
    card = lookup.by_number("+14155550100")
    # cut near the 0.2 s budget, long before the stub's answer (1 s and more); the margin is for a
    # machine busy with the rest of the suite
    assert time.monotonic() - started < 0.9
    assert card["partial"] is True and card["name"] == "Ann Lee" and card["tier"] == "gold"
    with pytest.raises(LookupIncomplete):          # no card at all: the controller marks the pop partial
        lookup.by_number("+14155550111")


def test_without_crm_the_builtin_card_is_unchanged():
    assert CustomerLookup(Builtin({"+1": BUILTIN_ANN})).by_number("+1") is BUILTIN_ANN


def test_the_example_mapping_loads():
    from control.config import ROOT

    mapping = load_mapping(ROOT / "docs" / "crm_mapping.example.yaml")
    assert mapping["fields"]["tier"] == "value_level" and mapping["values"]["tier"]["platinum"] == "vip"
    assert map_record({"display_name": "A", "value_level": "platinum"}, mapping)["tier"] == "vip"
