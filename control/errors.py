"""The errors adapters raise and handlers catch, so control/handlers import neither redis nor records.

- ``RedisError``: live state, the publisher, a lease or the control channel could not reach Redis.
  It is redis-py's own class: the Redis adapters (control/store) let it through unchanged.
- ``CrmError``: the customer lookup (records/crm.py, records/lookup.py) got no usable answer in time.
"""
from __future__ import annotations

from redis.exceptions import RedisError

__all__ = ["CrmError", "RedisError"]


class CrmError(Exception):
    """The CRM did not give a usable answer in time."""
