"""Every dependency has a tested upper bound, and requirements.lock pins a version of each inside its
bounds (issue 16: an unbounded redis>=5.0 installed redis-py 8.1, whose 5 s socket timeout cut every
live stream). docs/dependencies.md says how to move them."""
from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + [r for group in project["optional-dependencies"].values() for r in group]
    return [Requirement(line) for line in listed]


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.lock: {line!r} is not NAME==VERSION"
            pins[canonicalize_name(name)] = version
    return pins


def test_every_dependency_has_an_upper_bound():
    unbounded = [str(r) for r in _requirements() if not any(s.operator in ("<", "<=", "==", "~=")
                                                             for s in r.specifier)]
    assert unbounded == [], f"give these a tested upper bound in pyproject.toml: {unbounded}"


def test_the_lock_pins_every_dependency_inside_its_bounds():
    pins = _lock()
    missing = [r.name for r in _requirements() if canonicalize_name(r.name) not in pins]
    assert missing == [], f"regenerate requirements.lock (docs/dependencies.md); missing: {missing}"
    outside = [f"{r} (locked {pins[canonicalize_name(r.name)]})" for r in _requirements()
               if not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)]
    assert outside == [], f"requirements.lock and pyproject.toml disagree: {outside}"
