"""Turn a flow file's data into a Flow, collecting every problem with its line.

Errors stop a flow from loading; warnings (unreachable nodes) are reported by
``hotline check`` but do not.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Any, Iterator


from control.ivr.hours import HoursError, parse_hours
from control.ivr.model import DEFAULT_MAX_STEPS, PROMPT_FIELDS, Flow, node_edges
from control.ivr.schema import FLOW_SCHEMA, NODE_SCHEMAS
from control.yamlfile import ConfigError, Locator, schema_errors

_VAR = re.compile(r"\$\{")


class PrefixLocator(Locator):
    """A Locator for data that sits under ``prefix`` in its file (flows embedded in a scenario)."""

    def __init__(self, file: str, root: Any, prefix: tuple = ()):
        super().__init__(file, root)
        self.prefix = tuple(prefix)

    def line(self, path):
        return super().line([*self.prefix, *path]) if self.root is not None else None


def plain_dates(data: Any) -> Any:
    """YAML reads 2026-12-25 as a date; flows want the string."""
    if isinstance(data, dict):
        return {k: plain_dates(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain_dates(v) for v in data]
    if isinstance(data, (dt.date, dt.datetime)):
        return data.isoformat()
    return data


def suggest(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known)[:12]) or '(none)'}"


def conditions(cond: dict, path: list) -> Iterator[tuple[list, dict]]:
    yield path, cond
    for key in ("all", "any"):
        for i, sub in enumerate(cond.get(key, [])):
            yield from conditions(sub, path + [key, i])
    if "not" in cond:
        yield from conditions(cond["not"], path + ["not"])


def prompt_items(spec: Any) -> Iterator[tuple[str, Any, list]]:
    """(language, item, sub-path) for every item of an inline language map."""
    if not isinstance(spec, dict):
        return
    for lang, items in spec.items():
        for i, item in enumerate(items if isinstance(items, list) else [items]):
            yield lang, item, [lang, i] if isinstance(items, list) else [lang]


def build_flow(data: Any, locator: Locator, default_name: str) -> tuple[Flow | None, list, list]:
    """(flow or None, errors, warnings) for one flow's data."""
    data = plain_dates(data)
    errors = schema_errors(data, FLOW_SCHEMA, locator)
    if errors:
        return None, errors, []
    for name, node in data["nodes"].items():
        errors += schema_errors(node, NODE_SCHEMAS[node["type"]], locator, ["nodes", name])
    if errors:
        return None, errors, []
    name = data.get("name") or default_name
    nodes = data["nodes"]
    flow = Flow(name=name, file=locator.file, nodes=nodes, start=data.get("start") or next(iter(nodes)),
                languages=tuple(data.get("languages") or ("en",)), prompts=data.get("prompts", {}),
                lines={n: locator.line(["nodes", n]) or 1 for n in nodes},
                max_steps=data.get("max_steps", DEFAULT_MAX_STEPS), description=data.get("description", ""),
                line=locator.line(["name"]) or 1)
    for hname, spec in data.get("hours", {}).items():
        try:
            flow.hours[hname] = parse_hours(hname, spec, data.get("timezone"), ["hours", hname])
        except HoursError as exc:
            errors.append(locator.error(exc.path, f"flow {name}: hours {hname}: {exc.message}", exc.fix))
    errors += _check_nodes(flow, locator)
    errors += _check_prompts(flow, locator)
    warnings = _unreachable(flow, locator) if not errors else []
    return (None if errors else flow), errors, warnings


def _check_nodes(flow: Flow, locator: Locator) -> list[ConfigError]:
    errors = []

    def err(path: list, message: str, fix: str | None = None) -> None:
        errors.append(locator.error(path, f"flow {flow.name}: {message}", fix))

    if flow.start not in flow.nodes:
        err(["start"], f"start node {flow.start!r} is not defined", suggest(flow.start, flow.nodes))
    for name, node in flow.nodes.items():
        where = ["nodes", name]
        for key_path, target, _ in node_edges(node):
            if target not in flow.nodes:
                key = "/".join(str(k) for k in key_path)
                err(where + key_path, f"node {name!r}: {key} points to unknown node {target!r}",
                    suggest(target, flow.nodes))
        kind = node["type"]
        for lang_path, lang in _languages_used(node):
            if lang not in flow.languages:
                err(where + lang_path, f"node {name!r}: language {lang!r} is not one of the flow's languages "
                                       f"{list(flow.languages)}", "add it to `languages:` with its prompts")
        if kind in ("collect", "callback"):
            lo, hi = node.get("min_digits", 1), node.get("max_digits", 15 if kind == "callback" else 32)
            if lo > hi:
                err(where + ["min_digits"], f"node {name!r}: min_digits {lo} > max_digits {hi}",
                    "make min_digits at most max_digits")
        if kind == "collect" and node.get("pattern"):
            try:
                re.compile(node["pattern"])
            except re.error as exc:
                err(where + ["pattern"], f"node {name!r}: pattern is not a regular expression: {exc}")
        for i, case in enumerate(node.get("cases", []) if kind == "branch" else []):
            for path, cond in conditions(case["when"], where + ["cases", i, "when"]):
                for key in ("open", "holiday"):
                    if key in cond and cond[key] not in flow.hours:
                        err(path + [key], f"node {name!r}: no hours table named {cond[key]!r}",
                            f"define it under `hours:` ({suggest(cond[key], flow.hours)})")
                if "matches" in cond:
                    try:
                        re.compile(cond["matches"])
                    except re.error as exc:
                        err(path + ["matches"], f"node {name!r}: not a regular expression: {exc}")
    return errors


def _languages_used(node: dict) -> Iterator[tuple[list, str]]:
    if node["type"] == "set" and node.get("language"):
        yield ["language"], node["language"]
    if node["type"] == "menu":
        for digit, opt in node["options"].items():
            if isinstance(opt, dict) and opt.get("language"):
                yield ["options", digit, "language"], opt["language"]


def _check_prompts(flow: Flow, locator: Locator) -> list[ConfigError]:
    errors = []

    def check_texts(spec: dict, path: list, what: str) -> None:
        for lang in spec:
            if lang != "*" and lang not in flow.languages:
                errors.append(locator.error(path + [lang], f"flow {flow.name}: {what}: language {lang!r} is not "
                                                           f"one of {list(flow.languages)}",
                                            "add it to `languages:` or remove it"))
        if "*" not in spec:
            for lang in flow.languages:
                if lang not in spec:
                    errors.append(locator.error(path, f"flow {flow.name}: {what} has no {lang!r} prompt",
                                                f"add `{lang}: ...` (every prompt needs every declared language)"))
        for lang, item, sub in prompt_items(spec):
            text = item if isinstance(item, str) else item.get("text") if isinstance(item, dict) else None
            if text is not None and _VAR.search(text):
                errors.append(locator.error(path + sub, f"flow {flow.name}: {what}: text prompts are rendered "
                                                        f"ahead of time and cannot hold ${{...}}",
                                            "speak variables with a say item: {say: '${account}', type: DIGITS}"))

    for pname, declared in flow.prompts.items():
        check_texts(declared, ["prompts", pname], f"prompt {pname!r}")
    for name, node in flow.nodes.items():
        for field in PROMPT_FIELDS:
            spec = node.get(field)
            path = ["nodes", name, field]
            if isinstance(spec, dict):
                check_texts(spec, path, f"node {name!r} {field}")
            elif spec is not None:
                refs = [spec] if isinstance(spec, str) else spec
                for i, ref in enumerate(refs):
                    if ref not in flow.prompts:
                        errors.append(locator.error(path if isinstance(spec, str) else path + [i],
                                                    f"flow {flow.name}: node {name!r}: {field} {ref!r} is not in "
                                                    f"`prompts:`", suggest(ref, flow.prompts)))
    return errors


def _unreachable(flow: Flow, locator: Locator) -> list[ConfigError]:
    seen, todo = set(), [flow.start]
    while todo:
        name = todo.pop()
        if name in seen or name not in flow.nodes:
            continue
        seen.add(name)
        todo += [target for _, target, _ in node_edges(flow.nodes[name])]
    return [locator.error(["nodes", n], f"warning: flow {flow.name}: node {n!r} is unreachable from "
                                        f"start node {flow.start!r}", "link it from another node or delete it")
            for n in flow.nodes if n not in seen]
