"""Load ivr_flows/: one flow per *.yaml file plus dids.yaml (DID -> flow), all validated.

``load_flows(dir)`` raises ConfigErrors listing every problem; ``FlowRegistry``
re-reads the folder when a file changed and keeps the last good set when the
new files do not validate.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from control.ivr.model import DidOptions, Flow, FlowSet
from control.ivr.schema import DIDS_SCHEMA
from control.ivr.crossflow import check_flows
from control.ivr.validate import PrefixLocator, build_flow, suggest
from control.yamlfile import ConfigError, ConfigErrors, Locator, load, loads, schema_errors

log = logging.getLogger(__name__)

DIDS_FILE = "dids.yaml"
Queues = Iterable[str] | Callable[[], Iterable[str]] | None


def _queue_names(queues: Queues) -> set[str] | None:
    if queues is None:
        return None
    return set(queues() if callable(queues) else queues)


def _assemble(parts: Sequence[tuple[Any, Locator, str]], dids: tuple[Any, Locator] | None,
              queues: set[str] | None) -> FlowSet:
    """parts: (flow data, locator, default name). Raises ConfigErrors with every problem."""
    flows: dict[str, Flow] = {}
    locators: dict[str, Locator] = {}
    errors: list[ConfigError] = []
    warnings: list[ConfigError] = []
    for data, locator, default_name in parts:
        flow, errs, warns = build_flow(data, locator, default_name)
        errors += errs
        warnings += warns
        if flow is None:
            continue
        if flow.name in flows:
            errors.append(locator.error(["name"], f"flow {flow.name!r} is already defined in {flows[flow.name].file}",
                                        "give each flow its own name"))
            continue
        flows[flow.name], locators[flow.name] = flow, locator
    if not errors:
        errors += check_flows(flows, locators, queues)
    flowset = FlowSet(flows, warnings=warnings)
    if dids is not None:
        # a flow that failed to load is still known by name: do not report it twice
        named = {d["name"] if isinstance(d, dict) and isinstance(d.get("name"), str) else n for d, _, n in parts}
        errors += _apply_dids(flowset, *dids, known=set(flows) | named)
    elif "main" in flows:
        flowset.default = "main"
    elif flows:
        flowset.default = next(iter(flows))
    if errors:
        raise ConfigErrors(errors)
    return flowset


def _apply_dids(flowset: FlowSet, data: Any, locator: Locator, known: set[str]) -> list[ConfigError]:
    errors = schema_errors(data, DIDS_SCHEMA, locator)
    if not isinstance(data, dict) or not isinstance(data.get("default"), str) \
            or not isinstance(data.get("dids", {}), dict):
        return errors
    if data["default"] not in known:
        errors.append(locator.error(["default"], f"DID map: default flow {data['default']!r} does not exist",
                                    suggest(data["default"], known)))
    for did, entry in data.get("dids", {}).items():
        name = entry.get("flow") if isinstance(entry, dict) else entry
        if isinstance(name, str) and name not in known:
            errors.append(locator.error(["dids", did], f"DID map: {did} -> unknown flow {name!r}",
                                        suggest(name, known)))
        elif isinstance(entry, dict) and isinstance(name, str):
            errors += _did_options(flowset, did, entry, locator)
        if isinstance(name, str):
            flowset.dids[did] = name
    flowset.default = data["default"]
    return errors


def _did_options(flowset: FlowSet, did: str, entry: dict, locator: Locator) -> list[ConfigError]:
    """A number's language must be one its flow speaks; its calendars must be the flow's."""
    flow = flowset.flows.get(entry["flow"])
    if flow is None:   # it failed to load: reported with it
        return []
    errors = []
    language = entry.get("language")
    if language is not None and language not in flow.languages:
        errors.append(locator.error(["dids", did, "language"], f"DID map: {did}: flow {flow.name} has no language "
                                    f"{language!r}", f"use one of {', '.join(flow.languages)}"))
    hours = entry.get("hours") or {}
    for old, new in hours.items():
        for calendar in (old, new):
            if calendar not in flow.hours:
                errors.append(locator.error(["dids", did, "hours"], f"DID map: {did}: flow {flow.name} has no "
                                            f"calendar {calendar!r}", suggest(str(calendar), set(flow.hours))))
    flowset.did_options[did] = DidOptions(language=language, hours=dict(hours))
    return errors


def load_flows(directory: str | Path, queues: Queues = None, dids_file: str = DIDS_FILE) -> FlowSet:
    """Every flow in ``directory`` and its DID map. ``queues``: known queue names, checked when given."""
    directory = Path(directory)
    dids_path = Path(dids_file) if Path(dids_file).is_absolute() else directory / dids_file
    files = sorted(p for p in directory.glob("*.yaml") if p.resolve() != dids_path.resolve())
    parts, errors = [], []
    for path in files:
        try:
            data, locator = load(path)
        except ConfigError as exc:
            errors.append(exc)
            continue
        parts.append((data, locator, path.stem))
    dids = None
    if dids_path.exists():
        try:
            dids = load(dids_path)
        except ConfigError as exc:
            errors.append(exc)
    elif not any(p[2] == "main" for p in parts):
        errors.append(ConfigError(str(dids_path), None, "no DID map and no flow named main",
                                  f"add {dids_path.name} with `default: <flow>` and `dids: {{'+1...': <flow>}}`"))
    if not files:
        errors.append(ConfigError(str(directory), None, "no flow files found", "add ivr_flows/main.yaml"))
    if errors:
        raise ConfigErrors(errors)
    return _assemble(parts, dids, _queue_names(queues))


def flows_from_data(data: dict, file: str, queues: Queues = None, text: str | None = None,
                    prefix: tuple = ("flows",)) -> FlowSet:
    """Flows embedded in another file (a scenario): ``{flow_name: flow, ..., "dids": {default, dids}}``.

    Pass the file's YAML ``text`` to get line numbers; ``prefix`` is where the flows sit in it.
    """
    root = loads(text, file)[1].root if text is not None else None
    if not isinstance(data, dict) or not data:
        raise ConfigErrors([ConfigError(file, None, "flows must be a mapping of flow name -> flow")])
    parts = [(flow, PrefixLocator(file, root, (*prefix, name)), name) for name, flow in data.items() if name != "dids"]
    dids = (data["dids"], PrefixLocator(file, root, (*prefix, "dids"))) if "dids" in data else None
    return _assemble(parts, dids, _queue_names(queues))


class FlowRegistry:
    """The flows in force. ``reload()`` is a cheap stat of the folder; an edit that fails validation
    is refused (errors logged, ``last_errors`` set) and the previous flows keep running."""

    def __init__(self, directory: str | Path, queues: Queues = None, dids_file: str = DIDS_FILE):
        self.directory, self.queues, self.dids_file = Path(directory), queues, dids_file
        self._stamp = self._scan()
        self._flows = load_flows(self.directory, queues, dids_file)
        self.last_errors: list[ConfigError] = []

    def _scan(self) -> dict[str, tuple[int, int]]:
        out = {}
        for path in self.directory.glob("*.yaml"):
            try:
                st = path.stat()
            except OSError:
                continue
            out[path.name] = (st.st_mtime_ns, st.st_size)
        return out

    def current(self) -> FlowSet:
        return self._flows

    def get(self, name: str) -> Flow:
        return self._flows.get(name)

    def for_did(self, did: str) -> Flow:
        return self._flows.for_did(did)

    def reload(self, force: bool = False) -> bool:
        """True when changed files were loaded and are now in force."""
        stamp = self._scan()
        if stamp == self._stamp and not force:
            return False
        self._stamp = stamp   # a refused edit is reported once, not on every sweep
        try:
            flows = load_flows(self.directory, self.queues, self.dids_file)
        except ConfigErrors as exc:
            self.last_errors = exc.errors
            log.error("IVR flow reload refused, the previous flows stay in force:\n%s", exc)
            return False
        self._flows, self.last_errors = flows, []
        log.info("IVR flows reloaded: %s", ", ".join(sorted(flows.flows)))
        return True
