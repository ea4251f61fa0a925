"""JSON schemas of a flow file, of each node kind, and of ivr_flows/dids.yaml (docs/ivr.md)."""
from __future__ import annotations

from typing import Any

NAME = {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"}
LANG = {"type": "string", "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"}
DIGIT = "^[0-9*#]$"
SAY_TYPES = ("NUMBER", "DIGITS", "ITEMS", "PERSONS", "MESSAGES", "CURRENCY", "TIME_MEASUREMENT",
             "CURRENT_DATE", "CURRENT_TIME", "CURRENT_DATE_TIME", "SHORT_DATE_TIME", "TELEPHONE_NUMBER",
             "TELEPHONE_EXTENSION", "URL", "IP_ADDRESS", "EMAIL_ADDRESS", "POSTAL_ADDRESS", "ACCOUNT_NUMBER",
             "NAME_SPELLED", "NAME_PHONETIC")
SAY_METHODS = ("pronounced", "iterated", "counted", "N/A")
QUEUE_STATS = ("agents_available", "agents_logged_in", "waiting", "estimated_wait_s")
COMPARE_OPS = ("equals", "not_equals", "in", "not_in", "gt", "gte", "lt", "lte", "exists", "matches")

_str = {"type": "string"}
_seconds = {"type": "number", "exclusiveMinimum": 0, "maximum": 600}
_retries = {"type": "integer", "minimum": 0, "maximum": 9}
_level = {"type": "integer", "minimum": 1, "maximum": 10}
_skills = {"type": "object", "propertyNames": NAME, "additionalProperties": _level}
_scalar = {"type": ["string", "number", "boolean"]}

_ITEM = {"anyOf": [
    _str,
    {"type": "object", "additionalProperties": False, "required": ["file"], "properties": {"file": _str}},
    {"type": "object", "additionalProperties": False, "required": ["text"],
     "properties": {"text": _str, "language": LANG}},
    {"type": "object", "additionalProperties": False, "required": ["say"],
     "properties": {"say": {"type": ["string", "number"]}, "type": {"enum": list(SAY_TYPES)},
                    "method": {"enum": list(SAY_METHODS)}}},
]}
_ITEMS = {"anyOf": [_ITEM, {"type": "array", "items": _ITEM, "minItems": 1}]}
# language -> item(s); "*" serves every language (files, numbers)
PROMPT_TEXTS = {"type": "object", "minProperties": 1,
                "propertyNames": {"anyOf": [LANG, {"const": "*"}]}, "additionalProperties": _ITEMS}
# a prompt is the name of an entry in the flow's `prompts:`, a list of names, or inline texts
PROMPT = {"anyOf": [NAME, {"type": "array", "items": NAME, "minItems": 1}, PROMPT_TEXTS]}

_compare: dict[str, Any] = {op: {} for op in COMPARE_OPS}
_compare.update({"in": {"type": "array"}, "not_in": {"type": "array"}, "exists": {"type": "boolean"},
                 "matches": _str, "gt": {"type": "number"}, "gte": {"type": "number"},
                 "lt": {"type": "number"}, "lte": {"type": "number"}})
CONDITION_DEFS = {"cond": {"anyOf": [
    {"type": "object", "required": ["field"], "additionalProperties": False,
     "minProperties": 2, "maxProperties": 2, "properties": {"field": _str, **_compare}},
    {"type": "object", "required": ["open"], "additionalProperties": False, "properties": {"open": NAME}},
    {"type": "object", "required": ["holiday"], "additionalProperties": False, "properties": {"holiday": NAME}},
    {"type": "object", "required": ["queue", "stat"], "additionalProperties": False, "minProperties": 3,
     "maxProperties": 3,
     "properties": {"queue": NAME, "stat": {"enum": list(QUEUE_STATS)},
                    **{op: {"type": "number"} for op in ("equals", "gt", "gte", "lt", "lte")}}},
    {"type": "object", "required": ["all"], "additionalProperties": False,
     "properties": {"all": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/cond"}}}},
    {"type": "object", "required": ["any"], "additionalProperties": False,
     "properties": {"any": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/cond"}}}},
    {"type": "object", "required": ["not"], "additionalProperties": False,
     "properties": {"not": {"$ref": "#/$defs/cond"}}},
]}}

_common = {"type": _str, "label": _str, "description": _str}


def _node(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": ["type", *required],
            "properties": {**_common, **props}}


_option = {"anyOf": [NAME, {"type": "object", "additionalProperties": False, "required": ["next"],
                            "properties": {"next": NAME, "language": LANG, "label": _str}}]}

NODE_SCHEMAS: dict[str, dict[str, Any]] = {
    "play": _node(["prompt"], prompt=PROMPT, next=NAME),
    "menu": _node(["prompt", "options"], prompt=PROMPT,
                  options={"type": "object", "minProperties": 1, "propertyNames": {"pattern": DIGIT},
                           "additionalProperties": _option},
                  timeout_s=_seconds, retries=_retries, invalid_prompt=PROMPT, timeout_prompt=PROMPT,
                  default=NAME, no_input=NAME),
    "collect": _node(["prompt", "var", "next"], prompt=PROMPT, var=NAME,
                     min_digits={"type": "integer", "minimum": 1, "maximum": 32},
                     max_digits={"type": "integer", "minimum": 1, "maximum": 32},
                     pattern=_str, terminator={"enum": ["#", "*", ""]}, timeout_s=_seconds,
                     digit_timeout_s=_seconds, retries=_retries, invalid_prompt=PROMPT,
                     timeout_prompt=PROMPT, next=NAME, on_fail=NAME, sensitive={"type": "boolean"}),
    "lookup": _node(["by", "found", "not_found"], by={"enum": ["caller", "account"]}, value=_str,
                    found=NAME, not_found=NAME, use_language={"type": "boolean"}),
    "branch": {**_node(["cases", "default"],
                       cases={"type": "array", "minItems": 1, "items": {
                           "type": "object", "additionalProperties": False, "required": ["when", "next"],
                           "properties": {"when": {"$ref": "#/$defs/cond"}, "next": NAME, "label": _str}}},
                       default=NAME),
               "$defs": CONDITION_DEFS},
    "set": _node([], skills=_skills, clear_skills={"type": "boolean"}, priority={"type": "integer"},
                 language=LANG, vars={"type": "object", "propertyNames": NAME, "additionalProperties": _scalar},
                 channel_vars={"type": "object", "propertyNames": {"pattern": "^[A-Za-z0-9_]+$"},
                               "additionalProperties": _scalar},
                 next=NAME),
    "queue": _node(["queue"], queue=NAME, skills=_skills, priority={"type": "integer"}, prompt=PROMPT,
                   exit_keys={"type": "object", "propertyNames": {"pattern": DIGIT}, "additionalProperties": NAME},
                   on_error=NAME, next=NAME),
    "voicemail": _node(["box"], box=NAME, prompt=PROMPT, next=NAME),
    "callback": _node([], confirm_prompt=PROMPT, number_prompt=PROMPT, done_prompt=PROMPT,
                      invalid_prompt=PROMPT, retries=_retries,
                      min_digits={"type": "integer", "minimum": 3, "maximum": 15},
                      max_digits={"type": "integer", "minimum": 3, "maximum": 15},
                      timeout_s=_seconds, next=NAME, on_fail=NAME),
    "transfer": _node(["to"], to={"type": "string", "pattern": r"^\+?[0-9*#]{1,20}$"},
                      kind={"enum": ["extension", "external"]}, prompt=PROMPT),
    "hangup": _node([], cause={"type": "string", "pattern": "^[A-Z_]+$"}, prompt=PROMPT),
    "goto": _node(["flow"], flow=NAME, node=NAME),
    "call": _node(["flow"], flow=NAME, next=NAME),
    "return": _node([]),
}
NODE_KINDS = tuple(NODE_SCHEMAS)

_ranges = {"type": "string", "pattern": r"^(closed|\d{1,2}:\d{2}-\d{1,2}:\d{2}(\s*,\s*\d{1,2}:\d{2}-\d{1,2}:\d{2})*)$"}
_date = {"type": "string", "pattern": r"^(\d{4}-)?\d{2}-\d{2}$"}
HOURS = {"type": "object", "additionalProperties": False, "required": ["open"],
         "properties": {"timezone": _str, "description": _str,
                        "open": {"type": "object", "minProperties": 1, "additionalProperties": _ranges},
                        "holidays": {"type": "array", "items": {"anyOf": [_date, {
                            "type": "object", "additionalProperties": False, "required": ["date"],
                            "properties": {"date": _date, "name": _str, "open": _ranges}}]}}}}

FLOW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["nodes"],
    "properties": {
        "name": NAME,
        "description": _str,
        "languages": {"type": "array", "items": LANG, "minItems": 1, "uniqueItems": True},
        "start": NAME,
        "timezone": _str,
        "max_steps": {"type": "integer", "minimum": 1, "maximum": 10000},
        "prompts": {"type": "object", "propertyNames": NAME, "additionalProperties": PROMPT_TEXTS},
        "hours": {"type": "object", "propertyNames": NAME, "additionalProperties": HOURS},
        "nodes": {"type": "object", "minProperties": 1, "propertyNames": NAME,
                  "additionalProperties": {"type": "object", "required": ["type"],
                                           "properties": {"type": {"enum": list(NODE_KINDS)}}}},
    },
}

E164 = r"^\+[1-9][0-9]{1,14}$"
DIDS_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["default"],
    "properties": {"default": NAME,
                   "dids": {"type": "object", "propertyNames": {"pattern": E164}, "additionalProperties": {
                       "oneOf": [NAME, {
                           # a number's own settings: the language its callers start in, and calendars
                           # of the flow used in place of others (e.g. {business: extended})
                           "type": "object", "additionalProperties": False, "required": ["flow"],
                           "properties": {"flow": NAME, "language": {"type": "string", "pattern": "^[a-z]{2,3}$"},
                                          "hours": {"type": "object", "additionalProperties": NAME}}}]}}},
}
