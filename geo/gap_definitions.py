"""Named 交通空白 definitions and service-grade tables, kept as data (TOML files) like the region presets.

There is no single definition of a transport gap in Japan: the MLIT subsidy rules use 1 km, the MLIT handbook
500 m / 300 m (urban) or 1,000 m / 500 m (rural), PLATEAU 800 m / 300 m, and frequency-based rules add how often
a bus runs. Each definition is one file under ``boundaries/gap_definitions/`` (or any path a user gives):

.. code-block:: toml

    [definition]
    title = "..."          # shown in outputs
    source = "..."         # citation, required
    url = "..."            # optional
    day_type = "平日"       # 平日 / 土曜 / 日祝: the day evaluated when no date is given
    own = false            # true when the definition is the project's (or the user's) own
    windows = ["07-09", "09-17", "17-19", "19-22"]   # optional; default geo.timetable.DEFAULT_WINDOWS

    [walk_m]               # straight-line walking distance per mode, metres
    station = 800
    bus = 300

    [frequency]            # optional: when a stop qualifies in a window
    min_departures = 1     # at least this many departures in the window (default 1)
    max_headway_min = 30   # and a mean headway (window minutes / departures) no longer than this
    min_departures_day = 30  # and at least this many departures over the whole service day

Service grades (``boundaries/service_grades/*.toml``) give frequency classes by mean headway and a grade per
class and walking-distance band, in the manner of the Austrian ÖV-Güteklassen.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo._errors import ValidationError
from geo.timetable import DAY_TYPES, DEFAULT_WINDOWS, parse_windows

__all__ = [
    "GapDefinition",
    "GradeTable",
    "list_gap_definitions",
    "list_grade_tables",
    "read_gap_definition",
    "read_grade_table",
]

DEFINITIONS_ENV = "GEO_GAP_DEFINITIONS_DIR"
MODES = ("station", "bus")


@dataclass(frozen=True)
class GapDefinition:
    """One 交通空白 definition.

    Attributes
    ----------
    name : str
        File stem (``"handbook-urban"``).
    title, source, url : str
        For outputs and ``run.json``; ``source`` is the citation.
    walk_m : dict
        Straight-line walking distance in metres per mode: ``station`` (railway, N02 or GTFS rail) and ``bus``.
    day_type : str
        平日 / 土曜 / 日祝: the day evaluated when the caller gives no date.
    windows : tuple of str
        Time windows evaluated (service-day hours).
    min_departures, max_headway_min, min_departures_day
        A stop qualifies in a window when it has ≥ ``min_departures`` there, a mean headway ≤ ``max_headway_min``
        (None: no limit) and ≥ ``min_departures_day`` over the whole day.
    own : bool
        True for a definition that is the project's or user's own rather than an official one.
    """

    name: str
    title: str
    source: str
    walk_m: dict[str, float]
    url: str = ""
    day_type: str = "平日"
    windows: tuple[str, ...] = DEFAULT_WINDOWS
    min_departures: int = 1
    max_headway_min: float | None = None
    min_departures_day: int = 0
    own: bool = False
    note: str = ""
    path: str = ""

    def record(self) -> dict[str, Any]:
        """A JSON-ready description (for ``run.json``)."""
        return {
            "name": self.name,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "own": self.own,
            "walk_m": dict(self.walk_m),
            "day_type": self.day_type,
            "windows": list(self.windows),
            "min_departures": self.min_departures,
            "max_headway_min": self.max_headway_min,
            "min_departures_day": self.min_departures_day,
            "path": self.path,
        }


@dataclass(frozen=True)
class GradeTable:
    """Frequency class × distance band → grade (A best … ``no_service`` none)."""

    name: str
    title: str
    source: str
    window: str
    classes: tuple[tuple[str, float], ...]  # (name, max mean headway in minutes), best first
    bands_m: tuple[float, ...]
    table: dict[str, tuple[str, ...]]
    untimed_station_class: str
    no_service: str = "F"
    url: str = ""
    grades: tuple[str, ...] = field(default=("A", "B", "C", "D", "E", "F"))

    def record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "window": self.window,
            "classes": [list(c) for c in self.classes],
            "bands_m": list(self.bands_m),
            "table": {k: list(v) for k, v in self.table.items()},
            "untimed_station_class": self.untimed_station_class,
        }


def _data_dir(kind: str) -> Path:
    env = os.environ.get(DEFINITIONS_ENV) if kind == "gap_definitions" else None
    candidates = [Path(env)] if env else []
    candidates += [
        Path(__file__).resolve().parents[1] / "boundaries" / kind,
        Path(__file__).resolve().parent / "data" / kind,
    ]
    for path in candidates:
        if path.is_dir():
            return path
    raise FileNotFoundError(f"no folder {kind} found (looked in {', '.join(map(str, candidates))})")


def list_gap_definitions() -> list[str]:
    """Names of the shipped 交通空白 definitions (file stems under ``boundaries/gap_definitions/``), sorted.

    Examples
    --------
    >>> "handbook-urban" in list_gap_definitions()
    True
    """
    return sorted(p.stem for p in _data_dir("gap_definitions").glob("*.toml"))


def list_grade_tables() -> list[str]:
    """Names of the shipped service-grade tables (``boundaries/service_grades/``)."""
    return sorted(p.stem for p in _data_dir("service_grades").glob("*.toml"))


def _locate(name_or_path: str | Path, kind: str, names: list[str]) -> Path:
    path = Path(name_or_path)
    if path.suffix.lower() == ".toml" and path.is_file():
        return path
    candidate = _data_dir(kind) / f"{name_or_path}.toml"
    if candidate.is_file():
        return candidate
    raise ValidationError(
        f"{str(name_or_path)!r} is neither a .toml file nor a shipped name; names: {', '.join(names)}"
    )


def _load(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"not valid TOML: {exc}", source=path) from exc


_DEF_KEYS = {"title", "title_en", "source", "url", "day_type", "own", "note", "windows"}
_FREQ_KEYS = {"min_departures", "max_headway_min", "min_departures_day"}


def read_gap_definition(name_or_path: str | Path) -> GapDefinition:
    """Read and validate one definition: a shipped name (:func:`list_gap_definitions`) or a ``.toml`` file.

    Raises
    ------
    ValidationError
        Every problem at once, naming the file and key: unknown keys (with the allowed ones), no source,
        a walking distance that is not a positive number, an unknown mode or day type, a bad window.

    Examples
    --------
    >>> read_gap_definition("handbook-rural").walk_m
    {'station': 1000.0, 'bus': 500.0}
    """
    path = _locate(name_or_path, "gap_definitions", list_gap_definitions())
    data = _load(path)
    problems: list[str] = []
    extra = sorted(set(data) - {"definition", "walk_m", "frequency"})
    if extra:
        problems.append(f"unknown tables {extra}; allowed: [definition], [walk_m], [frequency]")
    head = data.get("definition", {})
    extra = sorted(set(head) - _DEF_KEYS)
    if extra:
        problems.append(f"[definition] unknown keys {extra}; allowed: {sorted(_DEF_KEYS)}")
    for key in ("title", "source"):
        if not str(head.get(key, "")).strip():
            problems.append(f"[definition] {key} is required (a citation for source, or say it is your own)")
    day_type = str(head.get("day_type", "平日"))
    if day_type not in DAY_TYPES:
        problems.append(f"[definition] day_type {day_type!r} unknown; use 平日, 土曜 or 日祝")
    walk = data.get("walk_m", {})
    if not walk:
        problems.append("[walk_m] is required: station = metres, bus = metres")
    walk_m: dict[str, float] = {}
    for mode, metres in walk.items():
        if mode not in MODES:
            problems.append(f"[walk_m] unknown mode {mode!r}; modes: {', '.join(MODES)}")
        elif not (isinstance(metres, (int, float)) and math.isfinite(metres) and metres > 0):
            problems.append(f"[walk_m] {mode} must be a positive number of metres, got {metres!r}")
        else:
            walk_m[mode] = float(metres)
    freq = data.get("frequency", {})
    extra = sorted(set(freq) - _FREQ_KEYS)
    if extra:
        problems.append(f"[frequency] unknown keys {extra}; allowed: {sorted(_FREQ_KEYS)}")
    for key in _FREQ_KEYS & set(freq):
        value = freq[key]
        if not (isinstance(value, (int, float)) and value >= 0):
            problems.append(f"[frequency] {key} must be a number ≥ 0, got {value!r}")
    windows = tuple(head.get("windows", DEFAULT_WINDOWS))
    try:
        parse_windows(windows)
    except ValidationError as exc:
        problems += [f"[definition] windows: {p}" for p in exc.problems]
    if problems:
        raise ValidationError(problems, source=path)
    headway = freq.get("max_headway_min")
    return GapDefinition(
        name=path.stem,
        title=str(head["title"]).strip(),
        source=" ".join(str(head["source"]).split()),
        url=str(head.get("url", "")),
        walk_m=walk_m,
        day_type=DAY_TYPES[day_type],
        windows=windows,
        min_departures=int(freq.get("min_departures", 1)),
        max_headway_min=None if headway is None else float(headway),
        min_departures_day=int(freq.get("min_departures_day", 0)),
        own=bool(head.get("own", False)),
        note=str(head.get("note", "")),
        path=str(path),
    )


def read_grade_table(name_or_path: str | Path = "oev-style") -> GradeTable:
    """Read and validate a service-grade table (default the shipped ``oev-style``).

    Raises
    ------
    ValidationError
        Missing keys, classes not ordered by headway, a table row missing for a class or of the wrong length.
    """
    path = _locate(name_or_path, "service_grades", list_grade_tables())
    data = _load(path).get("grades", {})
    problems: list[str] = []
    for key in ("title", "source", "window", "classes", "distance_bands_m", "table", "untimed_station_class"):
        if key not in data:
            problems.append(f"[grades] {key} is required")
    if problems:
        raise ValidationError(problems, source=path)
    classes = tuple((str(c["name"]), float(c["max_headway_min"])) for c in data["classes"])
    limits = [c[1] for c in classes]
    if limits != sorted(limits):
        problems.append("[[grades.classes]] must be ordered best first (increasing max_headway_min)")
    bands = tuple(float(b) for b in data["distance_bands_m"]["bands"])
    if list(bands) != sorted(bands):
        problems.append("[grades.distance_bands_m] bands must increase")
    table = {str(k): tuple(str(g) for g in v) for k, v in data["table"].items()}
    for name, _ in classes:
        if name not in table:
            problems.append(f"[grades.table] has no row for class {name!r}")
        elif len(table[name]) != len(bands):
            problems.append(f"[grades.table] row {name!r} needs {len(bands)} grades (one per band)")
    if data["untimed_station_class"] not in table:
        problems.append(f"[grades] untimed_station_class {data['untimed_station_class']!r} is not a class")
    try:
        parse_windows([data["window"]])
    except ValidationError as exc:
        problems += exc.problems
    if problems:
        raise ValidationError(problems, source=path)
    return GradeTable(
        name=path.stem,
        title=str(data["title"]),
        source=" ".join(str(data["source"]).split()),
        url=str(data.get("url", "")),
        window=str(data["window"]),
        classes=classes,
        bands_m=bands,
        table=table,
        untimed_station_class=str(data["untimed_station_class"]),
        no_service=str(data.get("no_service", "F")),
    )
