"""One defaults table, overlaid by a YAML file, then by environment variables.

Every key is listed in DEFAULTS with a comment. A file (``--config FILE`` or
``HOTLINE_CONFIG``) may set any key; then ``HOTLINE_<KEY>`` (upper case) wins,
and the conventional ``DATABASE_URL`` / ``REDIS_URL`` are honoured too.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping

import yaml

from control.paths import SOURCE_ROOT, shipped, var_dir

ROOT = SOURCE_ROOT   # the source checkout; shipped files and var/ are found through control/paths.py
NANP_NOT_PREMIUM = r"^\+1(?!900|976)[2-9][0-9]{2}[2-9][0-9]{6}$"

DEFAULTS: dict[str, Any] = {
    # Relational store for users, customers and call records. SQLite is the zero-setup default.
    "database_url": f"sqlite:///{var_dir() / 'hotline.db'}",
    # Redis for live state (agents, queues, reservations), pub/sub and RQ.
    "redis_url": "redis://127.0.0.1:6379/0",
    # Redis Sentinel (docs/scaling.md): the sentinels ("host:port,host:port", or a list in the file) and the
    # name they monitor. When set, every client asks them for the primary and follows a failover; redis_url
    # then gives only the password, user, database number and TLS (its host and port are not used).
    "redis_sentinels": "",
    "redis_sentinel_service": "",
    # Password of the sentinels themselves (their requirepass), if any.
    "redis_sentinel_password": "",
    # Prefix of every Redis key, so several deployments (or test runs) can share one Redis. In braces it
    # is a Redis Cluster hash tag: all keys of the deployment share one slot, so the Lua scripts (which
    # declare every key they touch) also run on Redis Cluster (docs/scaling.md). It used to be "hotline"
    # (no braces): set that to keep the old key names across an upgrade.
    "redis_prefix": "{hotline}",
    # Where the controller listens for FreeSWITCH's outbound sockets (dialplan: socket ... async full).
    "outbound_host": "127.0.0.1",
    "outbound_port": 8084,
    # Upper bound of concurrent outbound sessions (one per caller channel); greenswitch's own default of
    # 100 is far too low. 12,000 matches FreeSWITCH's max_sessions (freeswitch-conf/vars.xml).
    "outbound_max_connections": 12000,
    # FreeSWITCH inbound Event Socket (mod_event_socket).
    "esl_host": "127.0.0.1",
    "esl_port": 8021,
    "esl_password": "ClueCon",
    # Several FreeSWITCH nodes (docs/scaling.md, FreeSWITCH nodes): a list of
    # {name, esl_host, esl_port, esl_password, sip_host, sip_port}, in the file or as YAML/JSON in
    # HOTLINE_SWITCH_NODES. Each name is that switch's switchname (switch.conf.xml; FreeSWITCH-Switchname
    # in its events), which tells the controller which node a call came from. Empty: the one node above
    # (esl_host/esl_port/esl_password), named "default".
    "switch_nodes": [],
    # Seconds a node's Event Socket may stay unreachable before its calls are ended with records
    # (hangup cause NODE_LOST) and its agents freed (control/handlers/reconcile.py). Several nodes only.
    "node_loss_grace_s": 15.0,
    # How a node reaches an agent registered on another node: a SIP leg to that node, which bridges it to
    # user/<extension> (dialplan/public.xml, hotline_internode; only from the nodes' addresses, acl
    # hotline_nodes). {extension}, {sip_host} and {sip_port} are filled in.
    "internode_dial_string": "sofia/internal/hotline_node_{extension}@{sip_host}:{sip_port}",
    # The reconciler's `show channels as json` (every reconcile_interval_s) on an Event Socket connection of
    # its own per node, so that no other command waits behind it (it ran for seconds on a saturated switch;
    # docs/benchmarks.md, Real switch). False: over the command connections like any command.
    "esl_reconcile_connection": True,
    # Seconds between reconnect attempts of the inbound Event Socket.
    "esl_reconnect_s": 1.0,
    # Command-only inbound connections beside the event connection: FreeSWITCH runs one connection's
    # api commands one at a time, so commands are spread over these (control/esl/inbound.py).
    "esl_command_connections": 4,
    # Log lines: "text" (time level logger [call id]: message) or "json" (one object per line, with
    # call_id), for every process (control/logs.py).
    "log_format": "text",
    # Prometheus metrics (control/metrics.py, docs/operations.md): the controller and the worker serve
    # /metrics on these ports (0 = off; give each process on a host its own); the console serves
    # /metrics itself, to loopback clients or with "Authorization: Bearer <metrics_token>".
    "metrics_host": "127.0.0.1",
    "metrics_port": 9184,
    "worker_metrics_port": 9185,
    "metrics_token": "",
    # Web console.
    "web_host": "127.0.0.1",
    "web_port": 8080,
    # Flask session signing key; set it in production (HOTLINE_SECRET_KEY). The default is refused
    # outside demo mode (control/production.py).
    "secret_key": "dev-only-change-me",
    # Demo mode (`hotline demo` sets it for its processes): the default secrets and seeded passwords
    # are allowed. Outside it, run/web/controller/worker refuse to start with them (docs/security.md).
    "demo_mode": False,
    # Session cookie: Secure flag (turn on when the console is served over https), lifetime in
    # seconds (a shift; each request renews it), and the HSTS max-age sent with every response
    # (0 = no Strict-Transport-Security header; set e.g. 31536000 once https works).
    "session_cookie_secure": False,
    # Reverse proxies in front of the console that set X-Forwarded-For/-Proto/-Host (0: none). Set it
    # to the number of proxies, so login limits, audit rows and Secure cookies see the client's
    # address and scheme; a wrong number lets a client choose its own address.
    "proxy_hops": 0,
    "session_lifetime_s": 43200,
    "hsts_max_age_s": 0,
    # Failed-login limits (Flask-Limiter syntax, ";" between limits), counted in Redis so they hold
    # across console processes: per account name, and per client address. Past a limit the login
    # answers 429 with Retry-After until the window passes (lockout with back-off: minute, hour).
    "login_limit_account": "5 per minute;20 per hour",
    "login_limit_address": "30 per minute;300 per hour",
    # The card before the ring: when the agent's console is open, the phone is rung once the console
    # has acknowledged the pop, or after this many milliseconds at most (0: never wait).
    "pop_ack_budget_ms": 250,
    # Seconds a caller waits (ringing, or in hold music once answered) for live state while Redis is
    # unreachable before the call is given up (control/handlers/outage.py).
    "redis_outage_hold_s": 120,
    # Seconds an agent's phone rings before the offer is withdrawn and the agent set not-ready.
    "ring_timeout_s": 15,
    # Lease of a reservation; renewed while the offer is alive, reclaimed by the reconciler when it lapses.
    "reservation_lease_s": 30,
    # Seconds between reconciliation sweeps (leases vs. live channels).
    "reconcile_interval_s": 5,
    # Default wrap-up seconds when a queue does not set its own.
    "wrap_up_s": 10,
    # Reason codes an agent picks for a break or for not-ready (the console's lists, checked by the
    # API), each with whether the time is paid and whether it counts as productive (reports).
    "agent_reasons": {
        "break": [{"code": "lunch", "paid": False, "productive": False},
                  {"code": "rest", "paid": True, "productive": False},
                  {"code": "meeting", "paid": True, "productive": True},
                  {"code": "training", "paid": True, "productive": True},
                  {"code": "personal", "paid": False, "productive": False},
                  {"code": "technical", "paid": True, "productive": False}],
        "not_ready": [{"code": "after_call_work", "paid": True, "productive": True},
                      {"code": "outbound", "paid": True, "productive": True},
                      {"code": "technical", "paid": True, "productive": False},
                      # set by Hotline when a browser phone loses its registration (web/agent_states.py)
                      {"code": "phone_offline", "paid": True, "productive": False}],
    },
    # Dial string for an agent's (or supervisor's) phone; {extension} and {domain} are filled in.
    # user/<ext> without a domain uses FreeSWITCH's global "domain" variable.
    "agent_dial_string": "user/{extension}",
    "sip_domain": "",
    # The browser phone (web/softphone.py): FreeSWITCH's secure WebSocket for SIP (its webrtc
    # profile, wss_binding in freeswitch-conf/vars.xml), e.g. wss://pbx.example.com:7443. Empty: off.
    "softphone_wss_url": "",
    # Callbacks (docs/ivr.md, Callbacks). The customer's number is dialled through the public-outbound
    # dialplan context (its trunk gateway and caller id); {number} is filled in.
    "callback_dial_string": "loopback/{number}/public-outbound",
    # Seconds the customer's phone rings on one callback attempt.
    "callback_ring_timeout_s": 30,
    # Attempts per callback (no answer, busy), and seconds between them; then the callback fails.
    "callback_max_attempts": 3,
    "callback_retry_s": 300,
    # Queue for callbacks asked for outside a queue (the IVR callback node) or scheduled without one.
    "callback_queue": "support",
    # Seconds between safety sweeps for due callbacks (timers do the work; the sweep catches what
    # another controller scheduled or a restart missed).
    "callback_sweep_s": 30,
    # Hold music (a mod_local_stream stream name).
    "moh": "local_stream://moh",
    # Directory of recordings as FreeSWITCH writes them; path template by date and call id.
    "recordings_dir": "/var/lib/freeswitch/recordings",
    "recording_template": "{recordings_dir}/{date:%Y/%m/%d}/{call_id}.wav",
    # Declarative configuration.
    "flows_dir": str(shipped("ivr_flows")),
    "queues_dir": str(shipped("queues")),
    # FreeSWITCH's configuration folder that `hotline render-fs` writes agents into (`hotline init`
    # sets it to the deployment's own copy; the default is the shipped one).
    "freeswitch_conf_dir": str(shipped("freeswitch-conf")),
    "prompts_dir": str(var_dir() / "prompts"),
    # DID -> flow mapping file (inside flows_dir unless absolute).
    "dids_file": "dids.yaml",
    # External CRM (REST); empty means the built-in customer store only.
    "crm_url": "",
    "crm_timeout_ms": 300,
    "crm_cache_ttl_s": 300,
    # YAML file declaring the CRM's endpoints and its field mapping to the card (e.g. value_level -> tier)
    # plus the circuit breaker; empty means the built-in mapping (records/crm.py DEFAULT_MAPPING).
    "crm_mapping_file": "",
    # Default region for normalising caller numbers to E.164.
    "default_region": "US",
    # Business time zone for reports and business-hours branches.
    "timezone": "UTC",
    # Seconds between sweeps of the after-call outbox (records/after_call.py): the wrap-up of a call whose
    # row is still pending is enqueued again (one controller sweeps; 0 = never). When Redis came back
    # empty, the wrap-ups done in the last after_call_replay_s seconds run again, so follow-on jobs
    # (archive, SMS, webhooks, CRM) lost with Redis's data are fanned out again (each effect runs once).
    "after_call_sweep_s": 30,
    "after_call_replay_s": 3600,
    # RQ queue name for after-call work.
    "rq_queue": "hotline-wrapup",
    # How often a worker looks for jobs abandoned by a crashed worker and requeues them (rq's default is 600).
    "rq_maintenance_interval_s": 60,
    # JSONL spool for call records while the database is down; empty means var/spool/call-records.jsonl.
    # Give each deployment (or test) its own: whoever flushes a spool writes it to their database.
    "records_spool": "",
    # Outside numbers (E.164, regular expressions) each role may transfer a call to, consult, or
    # schedule a callback to; a queue's own outbound_allow adds numbers for that queue's calls. A YAML
    # or JSON mapping in HOTLINE_OUTBOUND_ALLOW. The dialplan's public-outbound context checks its own
    # copy, hotline_outbound_allow in freeswitch-conf/vars.xml (docs/security.md, Outbound allow-list).
    # Default: North American numbers, without the 900 and 976 premium-rate codes.
    "outbound_allow": {role: [NANP_NOT_PREMIUM] for role in ("agent", "supervisor", "admin")},
    # Customer card fields masked for agents besides the built-in ones (web/masking.py); names match
    # ignoring case, spaces, dashes and underscores. A list, or comma-separated in HOTLINE_SENSITIVE_FIELDS.
    "sensitive_fields": "",
    # Archived recordings (the worker moves them here; same variable as the worker, HOTLINE_ARCHIVE_DIR).
    # The console plays only files inside recordings_dir or archive_dir.
    "archive_dir": str(var_dir() / "archive"),
}


@dataclass(frozen=True)
class Config:
    values: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def replace(self, **overrides: Any) -> "Config":
        unknown = set(overrides) - set(DEFAULTS)
        if unknown:
            raise KeyError(f"unknown config keys: {sorted(unknown)}")
        return Config({**self.values, **overrides})


def _coerce(key: str, raw: str) -> Any:
    default = DEFAULTS[key]
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, list):   # YAML or JSON, e.g. HOTLINE_SWITCH_NODES
        return yaml.safe_load(raw) or []
    return raw


def load_config(path: str | os.PathLike | None = None,
                env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    values = dict(DEFAULTS)
    path = path or env.get("HOTLINE_CONFIG")
    if path:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a config file must be a mapping of keys to values")
        unknown = sorted(set(data) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"{path}: unknown config keys {unknown}; known keys are listed in control/config.py")
        values.update(data)
    for key in DEFAULTS:
        env_key = f"HOTLINE_{key.upper()}"
        if env_key in env:
            values[key] = _coerce(key, env[env_key])
    if "DATABASE_URL" in env and "HOTLINE_DATABASE_URL" not in env:
        values["database_url"] = env["DATABASE_URL"]
    if "REDIS_URL" in env and "HOTLINE_REDIS_URL" not in env:
        values["redis_url"] = env["REDIS_URL"]
    if values.get("redis_sentinels") and not values.get("redis_sentinel_service"):
        raise ValueError("redis_sentinels is set but redis_sentinel_service (the name the sentinels monitor) is not")
    return Config(values)
