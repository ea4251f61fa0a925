"""Every FreeSWITCH command string the controller sends, written here and nowhere else.

Each value is escaped for the place it lands, following FreeSWITCH's C source (switch_utils.c,
switch_event.c, mod_commands.c; simulator/fs_strings.py is a line-by-line port used by the tests):

- An ``api`` argument is split on spaces by ``switch_separate_string(cmd, ' ')``, which then
  removes one level of quotes and backslashes: ``arg()`` writes ``\\\\`` ``\\'`` and ``\\s``/``\\n``/``\\r``/``\\t``.
- An originate variable's value goes through three of those cleanups: the api split (spaces),
  ``{...}`` split on commas, then each item split on its first ``=``. ``_var_value()`` escapes for
  each level, innermost first, so any text arrives as written.
- Braces cannot be escaped: the end of ``{...}`` is found by counting braces, ignoring quotes and
  backslashes. A value whose braces are not balanced, or that holds ``${`` (FreeSWITCH refuses to set
  such a variable on the new leg), gets ``(`` ``)`` in place of its braces. NUL, which C cannot
  carry, is dropped. Nothing else is changed.
- Channel uuids, variable names, hang-up causes and dial targets are checked, not escaped: a bad one
  is a bug or bad configuration, and a ``ValueError`` says which.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

_UUID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_CAUSE = re.compile(r"[A-Z_]{1,64}")
_EXTENSION = re.compile(r"[A-Za-z0-9_.+*#-]{1,64}")
_DOMAIN = re.compile(r"[A-Za-z0-9_.:-]{0,253}")
_NUMBER = re.compile(r"[A-Za-z0-9+*#_.-]{1,64}")   # a number, or an extension the dialplan routes
_APP_ARG = re.compile(r"[A-Za-z0-9_.:@/-]{0,256}")
_EXPANSION = re.compile(r"\$\\*\{")     # switch_string_var_check_const: '$', backslashes, '{'

_SPLIT_ESCAPES = str.maketrans({"\\": "\\\\", "'": "\\'", " ": "\\s", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                                "\0": None})
_PLAIN_ARG = re.compile(r"[^\\' \n\r\t\0]+")              # nothing arg() would change
_PLAIN_VALUE = re.compile(r"[^\\' \n\r\t\0,={}]+")        # nothing _var_value() would change
_DELIM_ESCAPES = {delim: str.maketrans({"\\": "\\\\", "'": "\\'", delim: "\\" + delim}) for delim in ",="}


# -- escaping -------------------------------------------------------------------------------
def arg(value: object) -> str:
    """One argument of an ``api`` command: survives FreeSWITCH's split on spaces exactly."""
    text = str(value)
    if _PLAIN_ARG.fullmatch(text):
        return text
    return text.translate(_SPLIT_ESCAPES) or "''"


def _escape(text: str, delim: str) -> str:
    """For a cleanup with ``delim`` (',' or '='): backslashes, quotes and the delimiter escaped, and
    the leading and trailing spaces, which that cleanup would trim."""
    core = text.strip(" ")
    lead = len(text) - len(text.lstrip(" "))
    trail = len(text) - lead - len(core)
    return "\\s" * lead + core.translate(_DELIM_ESCAPES[delim]) + "\\s" * trail


def _neutral_braces(text: str) -> str:
    if "{" not in text and "}" not in text:
        return text
    depth = 0
    for ch in text:
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            break
    if depth == 0 and not _EXPANSION.search(text):
        return text
    return text.replace("{", "(").replace("}", ")")


def _var_value(value: object) -> str:
    text = str(value)
    if _PLAIN_VALUE.fullmatch(text):
        return text
    text = _neutral_braces(text.replace("\0", ""))
    # innermost first: the item's split on '=', the block's split on ',', the api's split on spaces
    return arg(_escape(_escape(text, "="), ","))


def variables_block(variables: Mapping[str, object]) -> str:
    """``{name=value,...}`` for originate, every value escaped; None or "" leaves a variable out
    (FreeSWITCH sets no variable from ``name=``)."""
    items = []
    for name, value in variables.items():
        _check(_NAME, "channel variable name", name)
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        items.append(f"{name}={_var_value(value)}")
    return "{" + ",".join(items) + "}"


def _check(pattern: re.Pattern, what: str, value: object) -> str:
    text = str(value)
    if not pattern.fullmatch(text):
        raise ValueError(f"{what} {text!r} cannot go into a FreeSWITCH command; "
                         f"it must match {pattern.pattern}")
    return text


def app_arg(value: object) -> str:
    """An application's argument in a ``sendmsg`` header: a CR or LF would end the header (and could
    add others), so each becomes a space; FreeSWITCH reads the rest of the line as it is."""
    return str(value).replace("\0", "").replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


def execute(app: str, arg: object | None, event_uuid: str) -> str:
    """``sendmsg`` on an outbound socket running ``app`` on its channel (switch_ivr.c, CMD_EXECUTE)."""
    lines = ["sendmsg", "call-command: execute", f"execute-app-name: {_check(_NAME, 'application', app)}"]
    if arg is not None and str(arg) != "":
        lines.append(f"execute-app-arg: {app_arg(arg)}")
    lines.append(f"Event-UUID: {_check(_UUID, 'uuid', event_uuid)}")
    return "\n".join(lines)


# -- dial strings ----------------------------------------------------------------------------
def user_dial(template: str, extension: str, domain: str) -> str:
    """An agent's or supervisor's phone from ``agent_dial_string`` (e.g. ``user/{extension}``)."""
    return template.format(extension=_check(_EXTENSION, "extension", extension),
                           domain=_check(_DOMAIN, "sip_domain", domain))


def node_dial(template: str, extension: str, sip_host: str, sip_port: int) -> str:
    """An agent registered on another FreeSWITCH node, from ``internode_dial_string``: a SIP leg to that
    node, which bridges it to ``user/<extension>`` (dialplan/public.xml, hotline_internode)."""
    return template.format(extension=_check(_EXTENSION, "extension", extension),
                           sip_host=_check(_DOMAIN, "sip_host", sip_host), sip_port=int(sip_port))


def number_dial(template: str, number: str) -> str:
    """An outside number from ``callback_dial_string`` (e.g. ``loopback/{number}/public-outbound``)."""
    return template.format(number=_check(_NUMBER, "number", number))


# -- commands --------------------------------------------------------------------------------
def originate(variables: Mapping[str, object], dial: str, app: str = "park", app_arg: str = "") -> str:
    """``originate {vars}<dial> &app(arg)``; the app's argument ends at FreeSWITCH's first ``)``."""
    _check(_NAME, "application", app)
    _check(_APP_ARG, "application argument", app_arg)
    if not dial or any(ch in dial for ch in " {}'\\\n\r\t"):
        raise ValueError(f"dial string {dial!r} has a space, brace, quote or backslash; "
                         "check agent_dial_string / callback_dial_string")
    return f"originate {variables_block(variables)}{dial} &{app}({app_arg})"


def uuid_bridge(a: str, b: str) -> str:
    return f"uuid_bridge {_check(_UUID, 'uuid', a)} {_check(_UUID, 'uuid', b)}"


def uuid_break(uuid: str) -> str:
    """Stop what the channel plays now and everything queued after it."""
    return f"uuid_break {_check(_UUID, 'uuid', uuid)} all"


def uuid_record(uuid: str, action: str, path: str) -> str:
    """action: start | stop | mask | unmask."""
    if action not in ("start", "stop", "mask", "unmask"):
        raise ValueError(f"uuid_record action {action!r}: use start, stop, mask or unmask")
    return f"uuid_record {_check(_UUID, 'uuid', uuid)} {action} {arg(path)}"


def uuid_setvar(uuid: str, name: str, value: object | None = None) -> str:
    """Set a channel variable; without a value, unset it."""
    command = f"uuid_setvar {_check(_UUID, 'uuid', uuid)} {_check(_NAME, 'channel variable name', name)}"
    return command if value is None else f"{command} {arg(value)}"


def uuid_kill(uuid: str, cause: str = "NORMAL_CLEARING") -> str:
    return f"uuid_kill {_check(_UUID, 'uuid', uuid)} {_check(_CAUSE, 'hang-up cause', cause)}"


def uuid_transfer(uuid: str, destination: str, dialplan: str = "XML", context: str = "default") -> str:
    return (f"uuid_transfer {_check(_UUID, 'uuid', uuid)} {arg(destination)} "
            f"{_check(_NAME, 'dialplan', dialplan)} {arg(context)}")


def uuid_transfer_inline(uuid: str, app: str, app_arg: str) -> str:
    """Transfer into the inline dialplan ``app:arg`` (mod_dptools splits it on commas)."""
    step = f"{_check(_NAME, 'application', app)}:{_escape(app_arg, ',')}"
    return f"uuid_transfer {_check(_UUID, 'uuid', uuid)} {arg(step)} inline"


def uuid_hold(uuid: str, on: bool = True) -> str:
    return f"uuid_hold {_check(_UUID, 'uuid', uuid)}" if on else f"uuid_hold off {_check(_UUID, 'uuid', uuid)}"


def sofia_contact(extension: str, domain: str = "") -> str:
    """Where a user is registered, over every profile (``*``); ``error/user_not_registered`` when nowhere.
    Without a domain FreeSWITCH takes its global one (mod_sofia.c, sofia_contact_function)."""
    user = _check(_EXTENSION, "extension", extension)
    return f"sofia_contact */{user}@{_check(_DOMAIN, 'sip_domain', domain)}" if domain else f"sofia_contact */{user}"


def uuid_exists(uuid: str) -> str:
    return f"uuid_exists {_check(_UUID, 'uuid', uuid)}"


def uuid_broadcast(uuid: str, path: str, leg: str = "aleg") -> str:
    if leg not in ("aleg", "bleg", "both"):
        raise ValueError(f"uuid_broadcast leg {leg!r}: use aleg, bleg or both")
    return f"uuid_broadcast {_check(_UUID, 'uuid', uuid)} {arg(path)} {leg}"


# -- application arguments ----------------------------------------------------------------------
def play_and_get_digits(min_digits: int, max_digits: int, timeout_ms: int, terminators: str, prompt: str,
                        invalid_prompt: str, var: str, regex: str, digit_timeout_ms: int) -> str:
    """One try of ``play_and_get_digits`` (mod_dptools splits its data on spaces, as an api command).
    ``prompt`` may be a file list (``file_string://a!b``); ``terminators`` "none" for none."""
    numbers = [int(min_digits), int(max_digits), 1, int(timeout_ms)]
    return " ".join([*map(str, numbers), arg(terminators or "none"), arg(prompt), arg(invalid_prompt),
                     _check(_NAME, "variable name", var), arg(regex), str(int(digit_timeout_ms))])
