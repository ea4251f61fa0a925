"""One dispatch pass at a time across controllers.

Every pass reads all waiting calls and all available agents, so two controllers that both run a
pass on the same nudge do the same work twice and then fight over the same agents (the loser's
reserves are refused and it runs again). A short lease in Redis (SET NX PX) lets one controller
run the pass; one that finds the lease taken leaves a "dirty" mark instead, and the holder, on
releasing, reads and clears the mark and runs again. Both steps are Lua scripts, so a nudge is
either seen by the holder's release or finds the lease free: none is lost. Priority and FIFO order
are kept because the one pass still sees every waiting call (docs/routing.md).

The holder keeps the lease through the pause after its pass (as long as the pass took, at least
20 ms: Manager.dispatch_pass), so the pause limits the passes of all controllers together; without
it the others took turns in each other's pauses and ran twice the passes of one controller. A
holder that dies leaves the lease to lapse (``LEASE_MS``); a pass longer than that only costs
duplicate work, never a double reservation (reserve.lua is atomic).
"""
from __future__ import annotations

import logging

from control.errors import RedisError
from control.store.keys import Keys

log = logging.getLogger(__name__)
LEASE_MS = 2000

# KEYS: lease, dirty. ARGV: holder, lease ms. 1 = acquired; 0 = taken (dirty marked).
ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
redis.call('SET', KEYS[2], '1', 'PX', tonumber(ARGV[2]) * 10)   -- outlives a lease that overruns
return 0
"""
# KEYS: lease, dirty. ARGV: holder. 1 = a nudge arrived during the pass: run again.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return redis.call('DEL', KEYS[2])
"""


class DispatchLease:
    def __init__(self, redis_client, prefix: str, holder: str, lease_ms: int = LEASE_MS):
        keys = Keys(prefix)
        self.keys = [keys.dispatch_lease(), keys.dispatch_dirty()]
        self.holder, self.lease_ms = holder, lease_ms
        self._acquire = redis_client.register_script(ACQUIRE)
        self._release = redis_client.register_script(RELEASE)

    def acquire(self) -> bool:
        """True: run the pass (then ``release``). On a Redis error, run it anyway: duplicate work
        is the cost, a stalled dispatcher would be worse."""
        try:
            return bool(self._acquire(keys=self.keys, args=[self.holder, self.lease_ms]))
        except RedisError:
            log.warning("dispatch lease not taken; dispatching anyway", exc_info=True)
            return True

    def release(self) -> bool:
        """End the pass; True when a nudge was skipped meanwhile (run another pass)."""
        try:
            return bool(self._release(keys=self.keys, args=[self.holder]))
        except RedisError:
            log.warning("dispatch lease not released (it lapses)", exc_info=True)
            return True
