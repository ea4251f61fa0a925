"""Turn a node's prompt spec into Prompt commands for the caller's language, and fill ${...}."""
from __future__ import annotations

import re
from typing import Any, Callable

from control.ivr.commands import Prompt
from control.ivr.model import Flow

_VAR = re.compile(r"\$\{([A-Za-z0-9_.]+)\}")


def walk(root: Any, path: str) -> Any:
    """``customer.fields.plan`` in nested dicts (and list indexes); None when any step is missing.
    ``.count`` after a list is its length (``customer.open_tickets.count``)."""
    node = root
    for part in path.split("."):
        if part == "count" and isinstance(node, (list, tuple)):
            node = len(node)
        elif isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
        if node is None:
            return None
    return node


def interpolate(template: Any, value_of: Callable[[str], Any]) -> str:
    if not isinstance(template, str):
        return "" if template is None else str(template)
    return _VAR.sub(lambda m: "" if value_of(m.group(1)) is None else str(value_of(m.group(1))), template)


def _texts(flow: Flow, spec: Any) -> list[dict]:
    """The language maps a spec stands for: a prompt name, a list of names, or an inline map."""
    if isinstance(spec, str):
        return [flow.prompts[spec]]
    if isinstance(spec, list):
        return [flow.prompts[name] for name in spec]
    return [spec] if isinstance(spec, dict) else []


def _item(item: Any, language: str, value_of: Callable[[str], Any]) -> Prompt | None:
    if isinstance(item, str):
        return Prompt(kind="text", text=item, language=language)
    if "file" in item:
        return Prompt(kind="file", file=item["file"], language=language)
    if "text" in item:
        return Prompt(kind="text", text=item["text"], language=item.get("language", language))
    text = interpolate(item["say"], value_of).strip()
    if not text:
        return None   # nothing to say (a missing field): skip rather than make FreeSWITCH say nothing
    say_type, method = item.get("type", "NUMBER"), item.get("method", "pronounced")
    if say_type == "DIGITS":   # FreeSWITCH reads digits one by one as NUMBER iterated
        say_type, method = "NUMBER", "iterated"
    return Prompt(kind="say", text=text, say_type=say_type, method=method, language=language)


def resolve(flow: Flow, spec: Any, language: str, value_of: Callable[[str], Any]) -> tuple[Prompt, ...]:
    out: list[Prompt] = []
    for texts in _texts(flow, spec):
        if language in texts:
            lang, items = language, texts[language]
        elif "*" in texts:
            lang, items = language, texts["*"]
        else:   # the caller's language is not one this flow speaks: its first language
            lang = next((x for x in flow.languages if x in texts), next(iter(texts)))
            items = texts[lang]
        for item in items if isinstance(items, list) else [items]:
            prompt = _item(item, lang, value_of)
            if prompt is not None:
                out.append(prompt)
    return tuple(out)
