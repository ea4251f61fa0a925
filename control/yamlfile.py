"""Load YAML keeping line numbers, so every config error names file, line and fix.

Flows, queues and scenarios all go through here. ``load(path)`` returns plain
Python data plus a ``Locator`` that maps a JSON-pointer-like path
(``("nodes", "main", "next")``) back to the 1-based line it came from.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError


class ConfigError(ValueError):
    """A bad flow/queue/scenario/config file: where it is wrong, what, and how to fix it."""

    def __init__(self, file: str, line: int | None, message: str, fix: str | None = None):
        self.file, self.line, self.message, self.fix = str(file), line, message, fix
        where = f"{self.file}:{line}" if line else self.file
        text = f"{where}: {message}"
        if fix:
            text += f" (fix: {fix})"
        super().__init__(text)


class ConfigErrors(ValueError):
    """Several ConfigErrors reported together."""

    def __init__(self, errors: Sequence[ConfigError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass
class Locator:
    file: str
    root: Any

    def line(self, path: Iterable[Any]) -> int | None:
        """Best line for ``path``: the deepest node along it that carries a position."""
        node, best = self.root, 1
        for key in path:
            try:
                if isinstance(node, CommentedMap) and key in node:
                    best = node.lc.key(key)[0] + 1
                    node = node[key]
                elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
                    best = node.lc.item(key)[0] + 1
                    node = node[key]
                else:
                    break
            except (AttributeError, KeyError, IndexError, TypeError):
                break
        return best

    def error(self, path: Iterable[Any], message: str, fix: str | None = None) -> ConfigError:
        return ConfigError(self.file, self.line(list(path)), message, fix)


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, (int, bool)) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if hasattr(node, "__float__") and type(node).__name__ == "ScalarFloat":
        return float(node)
    if type(node).__name__ in ("ScalarBoolean",):
        return bool(node)
    if isinstance(node, str):
        return str(node)
    return node


def loads(text: str, file: str = "<string>") -> tuple[Any, Locator]:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        root = yaml.load(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(file, line, f"not valid YAML: {exc.problem or exc.context}",
                          "check indentation and quoting on that line") from None
    return _plain(root), Locator(file, root)


def load(path: str | Path) -> tuple[Any, Locator]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), None, f"cannot read file: {exc.strerror}") from None
    return loads(text, str(path))


def schema_errors(data: Any, schema: dict, locator: Locator, prefix: list | None = None) -> list[ConfigError]:
    """jsonschema errors as ConfigErrors with lines; an unknown key is reported on its own line
    with the keys that are allowed there. ``prefix`` places ``data`` inside the file."""
    from jsonschema import Draft202012Validator

    prefix = list(prefix or [])
    errors = []
    for err in sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        path = prefix + list(err.absolute_path)
        if "propertyNames" in err.absolute_schema_path:   # a bad key: point at the key's own line
            path.append(err.instance)
        where = "/".join(str(p) for p in path) or "(top level)"
        if err.validator == "additionalProperties" and isinstance(err.instance, dict) and "properties" in err.schema:
            known = set(err.schema["properties"])
            for extra in [k for k in err.instance if k not in known]:
                errors.append(locator.error(path + [extra], f"{where}: unknown key {extra!r}",
                                            f"known keys here: {', '.join(sorted(known))}"))
            continue
        message = err.message if len(err.message) < 160 else err.message[:157] + "..."
        errors.append(locator.error(path, f"{where}: {message}"))
    return errors
