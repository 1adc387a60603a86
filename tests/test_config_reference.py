"""docs/config.md, the run-config reference, is generated from the schema and kept in sync with it."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import typing
from pathlib import Path

from geo.config import _NOT_KEYS, RunConfig

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "config_reference.py"


def _script():
    spec = importlib.util.spec_from_file_location("config_reference", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["config_reference"] = module
    spec.loader.exec_module(module)
    return module


def _all_fields(cls: type, seen: set[type]) -> list[tuple[str, dataclasses.Field]]:
    out = []
    seen.add(cls)
    for f in dataclasses.fields(cls):
        if cls is RunConfig and f.name in _NOT_KEYS:
            continue
        out.append((f"{cls.__name__}.{f.name}", f))
    for name, hint in typing.get_type_hints(cls).items():
        found = _script()._section(hint) if name not in _NOT_KEYS else None
        if found is not None and found[0] not in seen:
            out += _all_fields(found[0], seen)
    return out


def test_every_key_has_a_meaning_and_an_example() -> None:
    fields = _all_fields(RunConfig, set())
    assert len(fields) > 60
    assert [name for name, f in fields if not f.metadata.get("help")] == []
    sections = {
        "run",
        "area",
        "indicators",
        "derived",
        "points",
        "gaps",
        "scenarios",
        "hubs",
        "regions",
        "maps",
        "outputs",
        "remedies",
        "report",
    }
    lacking = [n for n, f in fields if "example" not in f.metadata and n.split(".")[1] not in sections]
    assert lacking == []


def test_config_md_is_in_sync_with_the_schema() -> None:
    module = _script()
    text = module.reference()
    assert module.OUT.read_text(encoding="utf-8") == text, "run: python scripts/config_reference.py"
    for key in ("`radii_m`", "`station_m`", "`--radius`", "`[[maps]]`", "`breaks`", "`good_practices`", "**required**"):
        assert key in text
