"""FreeSWITCH's own argument splitting, ported line by line from its C source, so the simulator reads
a command exactly as the switch does (and the controller's escaping is tested against it).

- ``separate_string`` / ``cleanup``: ``switch_separate_string`` and ``cleanup_separated_string``
  (src/switch_utils.c). A backslash protects the next character from splitting; in the cleanup,
  ``\\'`` ``\\"`` ``\\\\`` and the delimiter lose their backslash, ``\\n \\r \\t \\s`` become newline,
  CR, tab and space, any other backslash stays. A ``'`` opens a quote only when another ``'`` follows
  (the blank splitter toggles on every one); quotes are removed, and spaces outside quotes are trimmed.
- ``find_end_paren``: ``switch_find_end_paren``; it counts braces and knows nothing of quotes or escapes.
- ``brackets``: ``switch_event_create_brackets`` for one ``{a=1,b=2}`` block: split on the commas, then
  each item on its first ``=``; both pieces go through the cleanup a second time.
- ``api_args``: how mod_commands splits an ``api`` command's arguments (``switch_separate_string(cmd, ' ')``).
"""
from __future__ import annotations

ESCAPE = "\\"
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", "s": " "}


def cleanup(text: str, delim: str = "") -> str:
    out: list[str] = []
    end: int | None = None
    inside_quotes = False
    i = len(text) - len(text.lstrip(" "))
    while i < len(text):
        ch = text[i]
        if ch == ESCAPE and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in ("'", '"', ESCAPE) or (delim and nxt == delim) or nxt in _UNESCAPE:
                out.append(_UNESCAPE.get(nxt, nxt) if nxt not in ("'", '"', ESCAPE, delim) else nxt)
                end = len(out)
                i += 2
                continue
        if ch == "'" and (inside_quotes or "'" in text[i + 1:]):
            inside_quotes = not inside_quotes
            if inside_quotes:
                end = len(out)
        else:
            out.append(ch)
            if ch != " " or inside_quotes:
                end = len(out)
        i += 1
    return "".join(out if end is None else out[:end])


def separate_string(text: str, delim: str, limit: int = 1024) -> list[str]:
    if text.startswith("^^") and len(text) > 3:
        delim, text = text[2], text[3:]
    if not text:
        return []
    if delim == " ":
        return [cleanup(piece) for piece in _split_blank(text, limit)]
    return [cleanup(piece, delim) for piece in _split_char(text, delim, limit)]


def _split_char(text: str, delim: str, limit: int) -> list[str]:
    pieces: list[str] = []
    start, i, inside_quotes = 0, 0, False
    while i < len(text) and len(pieces) + 1 < limit:
        ch = text[i]
        if ch == ESCAPE:
            i += 1
        elif ch == "'" and (inside_quotes or "'" in text[i + 1:]):
            inside_quotes = not inside_quotes
        elif ch == delim and not inside_quotes:
            pieces.append(text[start:i])
            start = i + 1
            if start >= len(text):
                return pieces     # a trailing delimiter starts no new piece (the C loop ends on NUL)
        i += 1
    pieces.append(text[start:])
    return pieces


def _split_blank(text: str, limit: int) -> list[str]:
    pieces: list[str] = []
    i, n, inside_quotes = 0, len(text), False
    while i < n and len(pieces) < limit:
        start = i                                     # START: the piece begins here (spaces included)
        while i < n and text[i] == " ":
            i += 1
        if len(pieces) + 1 == limit:                  # the last slot takes the rest
            pieces.append(text[start:])
            break
        while i < n:                                  # FIND_DELIM
            ch = text[i]
            if ch == ESCAPE:
                i += 1
            elif ch == "'":
                inside_quotes = not inside_quotes
            elif ch == " " and not inside_quotes:
                break
            i += 1
        pieces.append(text[start:min(i, n)])
        i += 1
        while i < n and text[i] == " ":               # SKIP_ENDING_SPACE
            i += 1
    return pieces


def api_args(command_arg: str, limit: int = 1024) -> list[str]:
    return separate_string(command_arg, " ", limit)


def find_end_paren(text: str, open_: str, close: str) -> int | None:
    i = len(text) - len(text.lstrip(" "))
    if i >= len(text) or text[i] != open_:
        return None
    depth = 0
    for j in range(i, len(text)):
        if text[j] == open_ and (open_ != close or j == i):
            depth += 1
        elif text[j] == close:
            depth -= 1
            if depth == 0:
                return j
    return None


class BracketError(ValueError):
    pass


def brackets(data: str, open_: str = "{", close: str = "}", delim: str = ",") -> tuple[dict[str, str], str]:
    """``{a=1,b='x y'}rest`` -> ({"a": "1", "b": "x y"}, "rest"); several blocks in a row are all read."""
    variables: dict[str, str] = {}
    while data.startswith(open_):
        end = find_end_paren(data, open_, close)
        if end is None:
            raise BracketError(f"-ERR no closing {close!r} in {data!r}")
        block = data[1:end]
        for item in separate_string(block, delim):
            pair = separate_string(item, "=", 2)
            if len(pair) == 2:
                variables[pair[0]] = pair[1]
        data = data[end + 1:]
    return variables, data.lstrip(" ")


def originate(command_arg: str) -> tuple[dict[str, str], str, str]:
    """``originate <{vars}dial> <&app(arg)|exten>`` -> (variables, dial, exten) as mod_commands and
    switch_ivr_originate read them."""
    argv = api_args(command_arg, 10)
    if len(argv) < 2 or len(argv) > 7:
        raise BracketError("-USAGE: originate <call url> <exten>|&<application_name>(<app_args>)")
    variables, dial = brackets(argv[0])
    return variables, dial, argv[1]


def app_call(exten: str) -> tuple[str, str | None]:
    """``&name(arg)`` -> (name, arg): the arg ends at the first ``)``, as in originate_function."""
    name = exten[1:]
    name = name.split(")", 1)[0]
    app, paren, arg = name.partition("(")
    return app, (arg if paren else None)
