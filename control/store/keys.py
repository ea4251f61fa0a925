"""Every Redis key name, namespaced by prefix (``{prefix}:agent:{id}``): the one place that builds them.

The default prefix is a Redis Cluster hash tag (``{hotline}``): every key of a deployment then hashes
to one slot, so each Lua script (control/store/lua/), which declares every key it touches in KEYS,
runs on Redis Cluster as on one server (docs/scaling.md). ``pattern()`` matches every key of the
prefix (braces are literal in Redis glob patterns).
"""
from __future__ import annotations


class Keys:
    def __init__(self, prefix: str):
        self.prefix = prefix

    def agent(self, agent_id: str) -> str:          # hash: "d" (JSON) + live fields
        return f"{self.prefix}:agent:{agent_id}"

    def agents(self) -> str:                         # set of agent ids
        return f"{self.prefix}:agents"

    def available(self) -> str:                      # zset agent id -> idle_since, maybe available (Lua keeps it)
        return f"{self.prefix}:agents:available"

    def call(self, call_id: str) -> str:             # hash: "d" (JSON) + live fields
        return f"{self.prefix}:call:{call_id}"

    def waiting(self) -> str:                        # zset call id -> seq (queued or offering)
        return f"{self.prefix}:calls:waiting"

    def leases(self) -> str:                         # zset call id -> lease expiry
        return f"{self.prefix}:leases"

    def seq(self) -> str:                            # counter for first come, first served
        return f"{self.prefix}:seq"

    def handle_times(self, queue: str) -> str:       # list of recent handle times, newest first
        return f"{self.prefix}:stats:{queue}:handle"

    def arrivals(self, queue: str) -> str:           # zset of arrival timestamps
        return f"{self.prefix}:stats:{queue}:arrivals"

    def deferred_callbacks(self) -> str:             # zset callback call id -> due time of its next attempt
        return f"{self.prefix}:callbacks:deferred"

    def claim(self, name: str) -> str:               # one-time claim (SET NX with a TTL)
        return f"{self.prefix}:claim:{name}"

    def dispatch_lease(self) -> str:                 # string: the controller running a dispatch pass (PX lease)
        return f"{self.prefix}:dispatch:lease"

    def dispatch_dirty(self) -> str:                 # string: a nudge arrived during someone else's pass
        return f"{self.prefix}:dispatch:dirty"

    def records_outbox(self) -> str:                 # hash: call records not yet written (control/store/outbox.py)
        return f"{self.prefix}:records:outbox"

    def consults(self) -> str:                       # hash: call id -> "agent|controller" of an attended transfer
        return f"{self.prefix}:consults"

    def stream(self, channel: str) -> str:           # capped stream of a live channel (SSE replay)
        return f"{self.prefix}:stream:{channel}"

    def events(self, channel: str) -> str:           # pub/sub channel of the same (control, wallboard, agent:<id>)
        return f"{self.prefix}:events:{channel}"

    def console(self, agent_id: str) -> str:         # string with expiry: the agent's console is open (consoles.py)
        return f"{self.prefix}:console:{agent_id}"

    def controller(self, controller_id: str) -> str:  # a controller's heartbeat (control/handlers/orphans.py)
        return f"{self.prefix}:controller:{controller_id}"

    def controller_epoch(self, controller_id: str) -> str:  # string, 1 day: gone = Redis lost its data (reconcile.py)
        return f"{self.prefix}:controller-epoch:{controller_id}"

    def call_log(self, call_id: str, kind: str) -> str:  # list: a call's offers, explanations... (call_log.py)
        return f"{self.prefix}:calllog:{call_id}:{kind}"

    def login_limits(self) -> str:                   # prefix of the failed-login counters (web/login_limits.py)
        return f"{self.prefix}:login-limits"

    def pattern(self) -> str:                        # SCAN MATCH pattern of every key under the prefix
        return f"{self.prefix}:*"
