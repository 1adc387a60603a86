"""Municipal codes through time: convert a table's codes from one date to another (1970-04-01 … 2024-01-01).

Statistics keep the codes of their survey date; boundaries have their own date. :func:`convert_codes` walks
the e-Stat 廃置分合 records (:func:`geo.codes.code_table`, ``scripts/build_code_table.py``) between two dates,
in either direction, and returns the table at the target date with a :class:`ConversionReport` listing every
converted row with its event type and date:

* **1:1** (市制施行 with a new code, 名称変更, 区の再編 of one ward, 政令指定都市施行, 郡の区域変更): the value moves;
* **merges** (新設合併, 編入合併, several wards into one): extensive columns are summed; intensive columns
  (rates, averages) are recomputed from their numerator and denominator, never summed, else refused;
* **splits** (分割, 分離, a ward split by 区の再編, and any merge read backward): values are apportioned by
  weights (a population or area per code, or shares per from → to pair), recorded in the report; integer
  columns are apportioned to integers whose parts sum exactly to the whole.

Aggregate rows (national, prefecture, 郡/支庁, 13100 特別区部) are kept as they are and listed. A table without ward
rows stays a table of whole cities: a town merged into a ward (蒲原町 → 静岡市清水区 22103, 2006) goes to the city. The reference
design is the R package ``jpcity`` (UchidaMizuki/jpcity); no code is shared with it.

Examples
--------
>>> table = pd.DataFrame({"muni_code": ["40305"], "pop": [50000]})
>>> out, report = convert_codes(table, from_date="2016-01-01", to_date="2021-01-01")
>>> out["muni_code"].tolist(), report.converted["event_type"].tolist()
(['40231'], ['市制施行'])
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo._errors import ValidationError
from geo.codes import CODE_TABLE_SPAN, DateLike, as_date, code_history, code_table, code_table_on
from geo.crs import area_km2

IntensiveSpec = Mapping[str, "tuple[str, str] | tuple[str, str, float] | None"] | Sequence[str]
"""Intensive columns: a list of names (never combined: refused where rows merge or split), or a mapping
name → ``(numerator, denominator)`` or ``(numerator, denominator, scale)`` to recompute them after conversion."""

WeightsLike = pd.Series | pd.DataFrame | Mapping[str, float] | Mapping[tuple[str, str], float]
"""Split weights: per code (Series/Mapping code → weight, or a frame with ``muni_code``/``code`` and ``weight``),
or per pair (Mapping ``(from_code, to_code)`` → share, or a frame with ``from_code``, ``to_code``, ``weight``)."""

_RATE_NAME = re.compile(r"率|割合|平均|密度|比|per|rate|ratio|share|mean|average|density|pct|percent|%", re.I)
_NAME_COLUMNS = ("muni_name", "name", "市区町村名", "市区町村")
_AGGREGATE_KINDS = {"county", "aggregate"}
_CONVERTED_COLUMNS = [
    "source_row", "from_code", "from_name", "to_code", "to_name", "share", "event_type", "event_date", "events",
    "weight",
]  # fmt: skip


# ============================================================================================ the report


@dataclass(frozen=True)
class ConversionReport:
    """What :func:`convert_codes` did.

    Attributes
    ----------
    from_date, to_date
        The dates of the input codes and of the output codes.
    rows_in, rows_out
        Rows of the input and of the output table.
    converted
        One row per (input row, output code) whose code or name changed: ``source_row`` (the input's
        ``source_row`` column if any, else its position), ``from_code``, ``from_name``, ``to_code``, ``to_name``,
        ``share`` (1 unless split), ``event_type`` and ``event_date`` (the last event; ``events`` lists the whole
        chain ``date type; ...``) and ``weight`` (how a split was apportioned, else empty).
    kept
        Rows kept as they are although their code is not a municipality (national, prefecture, 郡 rows...):
        ``source_row``, ``code``, ``reason``.
    dropped
        Input rows with no code at the target date (a ward created later, a 郡 abolished): ``source_row``,
        ``code``, ``name``, ``reason``.
    totals
        Extensive column → ``{"before": sum over the input's municipal rows, "after": sum over the rows they became,
        "equal": bool}``: conversion never creates or loses a unit. Each total sums one level: a ward whose
        designated city is listed too counts in the city's row only (see :func:`level_notes`).
    intensive
        Intensive column → how it was handled.
    notes
        Anything else the user should know (approximate weights, values left empty).
    """

    from_date: datetime.date
    to_date: datetime.date
    rows_in: int
    rows_out: int
    converted: pd.DataFrame
    kept: pd.DataFrame
    dropped: pd.DataFrame
    totals: dict[str, dict[str, float | bool]] = field(default_factory=dict)
    intensive: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [
            f"コード変換 codes {self.from_date} → {self.to_date}: {self.rows_in:,} rows in, {self.rows_out:,} out; "
            f"{self.converted['source_row'].nunique():,} rows converted"
        ]
        for (etype, date), group in self.converted.groupby(["event_type", "event_date"], sort=True):
            sample = ", ".join(
                f"{r.from_code} {r.from_name} → {r.to_code} {r.to_name}" + (f" ×{r.share:.3f}" if r.share != 1 else "")
                for r in group.head(3).itertuples(index=False)
            )
            more = f" … {len(group) - 3} more" if len(group) > 3 else ""
            lines.append(f"    {date} {etype}: {sample}{more}")
        if len(self.dropped):
            lines.append(f"  変換先のない行 rows without a code at {self.to_date}: {len(self.dropped)}")
            lines += [f"    {r.code} {r.name}: {r.reason}" for r in self.dropped.head(8).itertuples(index=False)]
        if len(self.kept):
            lines.append(f"  集計行（変換せず）aggregate rows kept as they are: {len(self.kept)}")
        for col, t in self.totals.items():
            mark = "=" if t["equal"] else "≠"
            lines.append(f"  合計 total {col}: {t['before']:,.0f} {mark} {t['after']:,.0f}")
        lines += [f"  {col}: {how}" for col, how in self.intensive.items()]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (dates as ISO text, frames as lists of records)."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            clean = frame.astype(object).where(frame.notna(), None)
            return [
                {k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()}
                for r in clean.to_dict("records")
            ]

        return {
            "from_date": self.from_date.isoformat(),
            "to_date": self.to_date.isoformat(),
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "converted": records(self.converted),
            "kept": records(self.kept),
            "dropped": records(self.dropped),
            "totals": self.totals,
            "intensive": self.intensive,
            "notes": list(self.notes),
        }


# ============================================================================================ the events


@cache
def code_events() -> pd.DataFrame:
    """The e-Stat 廃置分合 records as from → to pairs: ``date, type, from_code, to_code`` (codes may be empty)."""
    with resources.files("geo").joinpath("data/municipal_code_events.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class _Day:
    """The pairs of one date, indexed both ways: code → [(other code, event type)]."""

    outgoing: dict[str, list[tuple[str, str]]]
    incoming: dict[str, list[tuple[str, str]]]


@cache
def _events_by_date() -> dict[str, _Day]:
    days: dict[str, _Day] = {}
    for r in code_events().itertuples(index=False):
        day = days.setdefault(r.date, _Day({}, {}))
        if r.from_code:
            day.outgoing.setdefault(r.from_code, []).append((r.to_code, r.type))
        if r.to_code:
            day.incoming.setdefault(r.to_code, []).append((r.from_code, r.type))
    return dict(sorted(days.items()))


@cache
def _periods() -> list[tuple[str, str, str]]:
    table = code_table()
    return list(zip(table["muni_code"].tolist(), table["valid_from"].tolist(), table["valid_to"].tolist(), strict=True))


@cache
def _valid_set(iso: str) -> frozenset[str]:
    """Codes valid on ``iso`` (plain Python over the periods: much faster than filtering the frame per date)."""
    return frozenset(c for c, start, end in _periods() if start <= iso and (not end or end > iso))


def _valid(code: str, iso: str) -> bool:
    return code in _valid_set(iso)


def _previous_day(iso: str) -> str:
    return (datetime.date.fromisoformat(iso) - datetime.timedelta(days=1)).isoformat()


def _step_forward(code: str, iso: str, day: _Day) -> list[tuple[str, list[str]]] | None:
    """Codes ``code`` becomes on date ``iso`` (with the event types met), or None when no event touches it.

    Pairs of one day chain (十四山村 → 弥富町 → 弥富市 on 2006-04-01; 三好町 renamed みよし町, then みよし市 23236):
    a code that does not exist after the day is followed on to the codes it went to.
    """
    if code not in day.outgoing:
        return None
    valid = _valid_set(iso)
    out: dict[str, list[str]] = {}

    def walk(c: str, types: list[str], seen: frozenset[str]) -> None:
        if c in seen:
            return
        pairs = day.outgoing.get(c, [])
        renamed = [typ for to, typ in pairs if to == c]
        if c in valid or not pairs:
            out.setdefault(c, []).extend([*types, *renamed])
            if c != code:  # a code that exists after the day ends the chain (only the root may also 分離)
                return
        for to, typ in pairs:
            if to and to != c:
                walk(to, [*types, *renamed, typ], seen | {c})

    walk(code, [], frozenset())
    return list(out.items())


@cache
def _ever_wards() -> frozenset[str]:
    table = code_table()
    return frozenset(table.loc[table["kind"] == "ward", "muni_code"])


def _ward_merges(iso: str, day: _Day) -> dict[str, list[tuple[str, str]]]:
    """Municipalities merged into a ward on ``iso``, by the ward's city (蒲原町 22382 → 清水区 22103 → 静岡市 22100)."""
    if not day.incoming.keys() & _ever_wards():
        return {}
    after = code_table_on(datetime.date.fromisoformat(iso))
    before = code_table_on(datetime.date.fromisoformat(_previous_day(iso)))["kind"]
    out: dict[str, list[tuple[str, str]]] = {}
    for to, pairs in day.incoming.items():
        if after["kind"].get(to) == "ward":
            for frm, typ in pairs:
                if frm and frm != to and before.get(frm) != "ward":
                    out.setdefault(str(after.at[to, "city_code"]), []).append((frm, typ))
    return out


def _step_backward(
    code: str, iso: str, day: _Day, extra: Mapping[str, list[tuple[str, str]]] | None = None
) -> list[tuple[str, list[str]]] | None:
    """Codes valid the day before ``iso`` that make up ``code`` (with the event types met); None if untouched.

    ``extra`` adds incoming pairs per code (for a table of whole cities: what merged into the city's wards).
    """
    extra = extra or {}
    if code not in day.incoming and code not in extra:
        return None
    before = _valid_set(_previous_day(iso))
    out: dict[str, list[str]] = {}

    def walk(c: str, types: list[str], seen: frozenset[str]) -> None:
        if c in seen:
            return
        pairs = day.incoming.get(c, []) + extra.get(c, [])
        renamed = [typ for frm, typ in pairs if frm == c]
        if c in before:
            out.setdefault(c, []).extend([*types, *renamed])
        for frm, typ in pairs:
            if frm and frm != c:  # what merged into c that day is part of it (弥富市 ← 弥富町 ← 十四山村)
                walk(frm, [*types, *renamed, typ], seen | {c})

    walk(code, [], frozenset())
    return list(out.items())


# ========================================================================================= code dates


def infer_code_dates(codes: Sequence[str] | pd.Series) -> list[tuple[datetime.date, datetime.date]]:
    """Periods ``[start, end)`` on which every municipal code given was valid (aggregates and blanks ignored).

    A table's codes tell its date up to the next change: N03-2021's codes are all valid from 2020-10-01 to
    2021-10-01 (their periods), and a table mixing codes of two dates has no such period (empty list).

    Examples
    --------
    >>> [(a.isoformat(), b.isoformat()) for a, b in infer_code_dates(["40305", "04216"])]
    [('2016-10-10', '2018-10-01')]
    """
    table = code_table()
    wanted = {c for c in pd.Series(codes).dropna().astype(str) if not _is_aggregate_code(c)}
    rows = table[table["muni_code"].isin(wanted) & ~table["kind"].isin(_AGGREGATE_KINDS)]
    wanted &= set(rows["muni_code"])
    if not wanted:
        return []
    first, last = (d.isoformat() for d in CODE_TABLE_SPAN)
    breaks = sorted({first, last, *table["valid_from"], *(v for v in table["valid_to"] if v)})
    index = {d: i for i, d in enumerate(breaks)}
    # a code's periods never overlap, so counting periods per break counts codes
    diff = np.zeros(len(breaks) + 1, dtype=int)
    np.add.at(diff, rows["valid_from"].map(index).to_numpy(), 1)
    np.add.at(diff, rows["valid_to"].map(lambda v: index[v] if v else len(breaks)).to_numpy(), -1)
    cover = np.cumsum(diff)[:-1]
    full = cover == len(wanted)
    out = []
    for i in np.flatnonzero(full):
        start = datetime.date.fromisoformat(breaks[i])
        end = datetime.date.fromisoformat(breaks[i + 1]) if i + 1 < len(breaks) else CODE_TABLE_SPAN[1]
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], end)
        elif start < end or i + 1 == len(breaks):
            out.append((start, max(end, start)))
    return out


_N03_PATTERNS = (
    (re.compile(r"n03-(\d{4})-"), lambda m: f"{m[1]}-01-01"),  # pinned names: n03-2021-s0010
    (re.compile(r"n03-official-(\d{4})-"), lambda m: f"{m[1]}-01-01"),
    (re.compile(r"N03-(\d{4})(\d{2})(\d{2})"), lambda m: f"{m[1]}-{m[2]}-{m[3]}"),  # N03-20240101_19_GML.zip
    (re.compile(r"N03-\d{2}_(?:\d{2}_)?(\d{2})(\d{2})(\d{2})"), lambda m: f"20{m[1]}-{m[2]}-{m[3]}"),  # N03-21_210101
)


def boundary_date(source: str | Path) -> datetime.date | None:
    """The date of a boundary source from its pinned name or file name (N03 is dated 1 January), else None.

    Examples
    --------
    >>> boundary_date("n03-2021-s0010"), boundary_date("N03-20240101_19_GML.zip")
    (datetime.date(2021, 1, 1), datetime.date(2024, 1, 1))
    """
    text = Path(str(source)).name
    for pattern, to_iso in _N03_PATTERNS:
        match = pattern.search(text)
        if match:
            return datetime.date.fromisoformat(to_iso(match))
    return None


def areas_date(areas: pd.DataFrame, *, source: str | Path | None = None) -> datetime.date:
    """The date of a boundary layer's codes: from its source or file name when known, else inferred from its codes
    (the first day of the period on which all its codes were valid).

    Raises
    ------
    ValidationError
        When neither the name nor the codes tell one date (the codes belong to several dates).
    """
    names = [source] if source is not None else []
    names += areas.attrs.get("boundaries", {}).get("files", [])  # what geo.read_boundaries read
    for name in names:
        if (day := boundary_date(name)) is not None:
            return day
    periods = infer_code_dates(areas["muni_code"]) if "muni_code" in areas.columns else []
    if not periods:
        raise ValidationError(
            "the boundaries' date is unknown and their codes do not belong to one date: give it "
            "(boundaries_as_of='2021-01-01', geo join --boundaries-as-of 2021-01-01)"
        )
    return periods[-1][0]


def describe_code_change(code: str, at: DateLike) -> str | None:
    """Why ``code`` is not valid on ``at``: the event that ended (or created) it, and the option that fixes it."""
    history = code_history(code)
    day = as_date(at)
    if history.empty:
        return None
    iso = day.isoformat()
    if (history["valid_from"] <= iso).any() and ((history["valid_to"] == "") | (history["valid_to"] > iso)).any():
        valid = history[(history["valid_from"] <= iso) & ((history["valid_to"] == "") | (history["valid_to"] > iso))]
        if not valid.empty:
            return None
    last = history.iloc[-1]
    if last["valid_to"] and last["valid_to"] <= iso:
        end = last["valid_to"]
        events = code_events()
        hits = events[(events["date"] == end) & (events["from_code"] == code) & (events["to_code"] != code)]
        names = code_table_on(datetime.date.fromisoformat(end))["muni_name"]
        to = ", ".join(f"{t} {names.get(t, '')}".strip() for t in dict.fromkeys(hits["to_code"]) if t)
        kind = "、".join(dict.fromkeys(hits["type"])) or "廃止"
        return (
            f"{code} {last['muni_name']} became {to or 'no code'} on {end} ({kind}); the table has codes of an "
            f"earlier date: pass its date as as_of= (geo join --as-of YYYY-MM-DD) to convert before joining"
        )
    first = history.iloc[0]
    if first["valid_from"] > iso:
        events = code_events()
        hits = events[(events["date"] == first["valid_from"]) & (events["to_code"] == code)]
        kind = "、".join(dict.fromkeys(hits["type"])) or "新設"
        return (
            f"{code} {first['muni_name']} came into being on {first['valid_from']} ({kind}), after the boundaries' "
            f"date {iso}: pass the table's date as as_of= (geo join --as-of YYYY-MM-DD) to convert back, "
            "or use newer boundaries"
        )
    return None


# ============================================================================================ conversion


def convert_codes(
    table: pd.DataFrame,
    *,
    from_date: DateLike,
    to_date: DateLike,
    weights: WeightsLike | None = None,
    code_column: str = "muni_code",
    extensive: Sequence[str] | None = None,
    intensive: IntensiveSpec = (),
    weights_label: str | None = None,
) -> tuple[pd.DataFrame, ConversionReport]:
    """Convert a table keyed by municipal codes of ``from_date`` to the codes of ``to_date``.

    Parameters
    ----------
    table
        One row per code (e.g. from :func:`geo.read_indicators`); not modified.
    from_date, to_date
        Dates of the table's codes and of the wanted codes (ISO text or dates, 1970-04-01 … 2024-01-01).
        ``to_date`` may be earlier than ``from_date`` (merges then become splits and need weights).
    weights
        How to apportion a split: per code of the split's result (a population table at the target date,
        areas from :func:`area_weights`, or any user weight: Series/Mapping code → weight, or a frame with
        ``muni_code``/``code`` and ``weight``), or per pair (Mapping ``(from_code, to_code)`` → share, or a frame
        with ``from_code``, ``to_code``, ``weight``). Pair weights are exact; code weights are a proxy.
    code_column
        Column holding the codes (five-digit strings).
    extensive
        Columns summed over merges and apportioned over splits (counts, population). Default: every numeric
        column not listed in ``intensive`` (columns whose names look like rates are refused unless declared).
    intensive
        Rates and averages: never summed. Give ``{"aging_rate": ("pop65", "pop", 100)}`` to recompute one from
        its converted numerator and denominator (times a scale); a bare name is carried over 1:1 and refused
        where rows merge or split.
    weights_label
        How the weights were obtained (e.g. ``"住基人口 2024-01-01"``), written to the report.

    Returns
    -------
    (DataFrame, ConversionReport)
        The table with codes of ``to_date`` (one row per code; ``muni_name`` and any name column updated), in
        the input's column order, and the report.

    Raises
    ------
    ValidationError
        A code that never existed; a date outside the table's span; codes not valid on ``from_date`` (a table
        mixing codes of two dates: the message gives each code's dates); a split without weights (listing the
        split codes and the ways to give weights); an intensive column that would have to be summed.

    Examples
    --------
    >>> t = pd.DataFrame({"muni_code": ["22135"], "pop": [100]})
    >>> out, rep = convert_codes(t, from_date="2023-01-01", to_date="2024-01-01",
    ...                          weights={("22135", "22138"): 0.3, ("22135", "22139"): 0.7})
    >>> out.set_index("muni_code")["pop"].to_dict()
    {'22138': 30, '22139': 70}
    """
    start, end = as_date(from_date, what="from_date"), as_date(to_date, what="to_date")
    if code_column not in table.columns:
        raise ValidationError(
            f"the table has no column {code_column!r}: give code_column=... (columns: {', '.join(map(str, table.columns))})"
        )
    rows = table.reset_index(drop=True)
    row_ids = rows["source_row"] if "source_row" in rows.columns else pd.Series(rows.index, index=rows.index)
    codes = rows[code_column].astype("string")
    _check_codes(codes, row_ids, start)
    extensive_cols, intensive_map, plain_intensive, undeclared = _classify_columns(
        rows, code_column, extensive, intensive
    )

    pieces, dropped, kept, dropped_index = _trace(codes, row_ids, start, end)
    shares, weight_notes, problems = _apportion(pieces, weights, weights_label)
    if problems:
        raise ValidationError(problems)
    out, converted, totals, intensive_notes = _build_output(
        rows,
        codes,
        row_ids,
        pieces,
        shares,
        code_column,
        extensive_cols,
        intensive_map,
        plain_intensive,
        undeclared,
        start,
        end,
        dropped_index,
    )
    converted["weight"] = converted["weight"].fillna("")
    report = ConversionReport(
        from_date=start,
        to_date=end,
        rows_in=len(rows),
        rows_out=len(out),
        converted=converted,
        kept=pd.DataFrame(kept, columns=["source_row", "code", "reason"]),
        dropped=pd.DataFrame(dropped, columns=["source_row", "code", "name", "reason"]),
        totals=totals,
        intensive=intensive_notes,
        notes=(*weight_notes, *level_notes(rows, code_column, extensive_cols, start)),
    )
    return out, report


def _counted_once(codes: pd.Series, day: datetime.date) -> np.ndarray:
    """True for the rows a total counts: a ward whose designated city is listed too is left out (the city row
    counts whole). 特別区部 13100 is an aggregate row and never traced."""
    table = code_table_on(day)
    kind = codes.map(table["kind"])
    city = codes.map(table["city_code"])
    ward_of_listed = ((kind == "ward") & city.isin(set(codes.dropna()))).fillna(False)
    return ~ward_of_listed.to_numpy(dtype=bool)


def level_notes(rows: pd.DataFrame, code_column: str, columns: Sequence[str], day: DateLike) -> list[str]:
    """Notes on a table holding designated cities beside their wards: totals count the city rows only, and
    :func:`city_ward_disagreements`."""
    day = as_date(day)
    codes = rows[code_column].astype("string")
    once = _counted_once(codes, day)
    if once.all():
        return []
    cities = codes[~once].map(code_table_on(day)["city_code"])
    return [
        f"totals count {cities.nunique()} designated cities whole: their {int((~once).sum())} ward rows are left "
        "out of the totals (never city + wards twice)",
        *city_ward_disagreements(rows, code_column, columns, day),
    ]


def city_ward_disagreements(rows: pd.DataFrame, code_column: str, columns: Sequence[str], day: DateLike) -> list[str]:
    """One note per designated city whose own row differs from the sum of its wards listed (per column given).

    Examples
    --------
    >>> t = pd.DataFrame({"code": ["01100", "01101", "01102"], "pop": [100, 60, 30]})
    >>> notes = city_ward_disagreements(t, "code", ["pop"], "2020-01-01")
    >>> notes[0].startswith("札幌市 01100: its own row differs from the sum of its 2 wards listed (pop 100 vs 90)")
    True
    """
    day = as_date(day)
    table = code_table_on(day)
    codes = rows[code_column].astype("string")
    once = _counted_once(codes, day)
    cities = codes[~once].map(table["city_code"])
    differ: dict[str, list[str]] = {}
    for c in columns:
        values = pd.to_numeric(rows[c], errors="coerce")
        ward_sum = values[~once].groupby(cities.to_numpy()).sum(min_count=1)
        for city, total in ward_sum.items():
            own = values[(codes == city).fillna(False).to_numpy(dtype=bool)]
            if own.empty or pd.isna(own.iloc[0]) or pd.isna(total) or np.isclose(own.iloc[0], total, atol=1e-6):
                continue
            differ.setdefault(str(city), []).append(f"{c} {own.iloc[0]:,.0f} vs {total:,.0f}")
    return [
        f"{table.at[city, 'muni_name']} {city}: its own row differs from the sum of its {int((cities == city).sum())} "
        f"wards listed ({'; '.join(cols[:3])}{' …' if len(cols) > 3 else ''}): missing or extra wards, or another "
        "date's figures; the table disagrees with itself, check it before summing or joining wards"
        for city, cols in differ.items()
    ]


def _is_aggregate_code(code: str) -> bool:
    return code.endswith("000") or code == "13100"


def _check_codes(codes: pd.Series, row_ids: pd.Series, start: datetime.date) -> None:
    valid = code_table_on(start)
    known = set(code_table()["muni_code"])
    problems, wrong_date = [], []
    repeated = codes[codes.notna() & codes.duplicated(keep=False)]
    if len(repeated):
        listed = ", ".join(
            f"{c} (rows {', '.join(map(str, row_ids[g]))})" for c, g in repeated.groupby(repeated).groups.items()
        )
        problems.append(f"codes appear more than once: {listed}; keep one row per code before converting")
    for i, code in codes.items():
        if pd.isna(code) or _is_aggregate_code(str(code)):
            continue
        if code not in known:
            problems.append(f"row {row_ids[i]}: {code} never existed as a municipal code 1970–2024 (e-Stat lists)")
        elif code not in valid.index:
            wrong_date.append((row_ids[i], code))
    if wrong_date:
        periods = infer_code_dates(codes.dropna())
        for row, code in wrong_date[:30]:
            hist = code_history(code)
            spans = "; ".join(
                f"{r.muni_name} {r.valid_from} … {r.valid_to or '2024-01-01+'}" for r in hist.itertuples(index=False)
            )
            problems.append(f"row {row}: {code} was not valid on {start} (valid: {spans})")
        others = len(wrong_date) > 30
        head = f"{len(wrong_date)} codes are not codes of {start}{' (first 30 listed)' if others else ''}: " + (
            f"all codes fit {periods[0][0]} … {periods[0][1]}: give that as from_date"
            if periods
            else "the table mixes codes of two dates (e.g. a town and the city it became): keep the codes "
            "of one date, or convert each part separately"
        )
        problems.insert(0, head)
    if problems:
        raise ValidationError(problems)


def _classify_columns(
    rows: pd.DataFrame, code_column: str, extensive: Sequence[str] | None, intensive: IntensiveSpec
) -> tuple[list[str], dict[str, tuple[str, str, float]], list[str], list[str]]:
    intensive_map: dict[str, tuple[str, str, float]] = {}
    plain: list[str] = []
    items = intensive.items() if isinstance(intensive, Mapping) else ((name, None) for name in intensive)
    problems = []
    for name, spec in items:
        if name not in rows.columns:
            problems.append(f"intensive column {name!r} is not in the table")
        elif spec is None:
            plain.append(name)
        else:
            num, den, *scale = spec
            missing = [c for c in (num, den) if c not in rows.columns]
            if missing:
                problems.append(f"intensive column {name!r}: numerator/denominator {missing} not in the table")
            intensive_map[name] = (num, den, float(scale[0]) if scale else 1.0)
    numeric = [
        c for c in rows.columns
        if c not in (code_column, "source_row") and pd.api.types.is_numeric_dtype(rows[c])
        and not pd.api.types.is_bool_dtype(rows[c])
    ]  # fmt: skip
    taken = set(intensive_map) | set(plain)
    if extensive is None:
        undeclared = [c for c in numeric if c not in taken and _RATE_NAME.search(str(c))]
        ext = [c for c in numeric if c not in taken and c not in undeclared]
    else:
        problems += [f"extensive column {c!r} is not in the table" for c in extensive if c not in rows.columns]
        ext = [c for c in extensive if c in rows.columns]
        undeclared = [c for c in numeric if c not in taken and c not in ext]
    if problems:
        raise ValidationError(problems)
    return ext, intensive_map, plain, undeclared


@dataclass
class _Piece:
    index: int  # input row position
    code: str
    share_key: list[tuple[str, str, str, tuple[str, ...]]]  # splits met: (date, from, to, candidates)
    events: list[tuple[str, str]]  # (date, type)


def _trace(
    codes: pd.Series, row_ids: pd.Series, start: datetime.date, end: datetime.date
) -> tuple[list[_Piece], list[tuple], list[tuple], set[int]]:
    """Follow every row's code through the events between the dates; splits are kept as several pieces."""
    forward = end >= start
    lo, hi = sorted((start.isoformat(), end.isoformat()))
    days = [d for d in _events_by_date() if lo < d <= hi]
    if not forward:
        days = days[::-1]
    kinds = code_table_on(start)["kind"]
    pieces, dropped, kept = [], [], []
    dropped_index: set[int] = set()
    for i, code in codes.items():
        if pd.isna(code):
            kept.append((row_ids[i], "", "no code (national or note row)"))
        elif _is_aggregate_code(code) or kinds.get(code) in _AGGREGATE_KINDS:
            kept.append((row_ids[i], code, "aggregate row (prefecture, 郡/支庁, 特別区部): kept as it is"))
        else:
            pieces.append(_Piece(i, str(code), [], []))
    by_date = _events_by_date()
    city_level = not any(kinds.get(codes[p.index]) == "ward" for p in pieces)
    for iso in days:
        day = by_date[iso]
        extra = _ward_merges(iso, day) if city_level and not forward else {}
        touched = day.outgoing.keys() | day.incoming.keys() | extra.keys()
        nxt = []
        for piece in pieces:
            if piece.code not in touched:
                nxt.append(piece)
                continue
            step = _step_forward(piece.code, iso, day) if forward else _step_backward(piece.code, iso, day, extra)
            if step is None:
                if not forward and not _valid(piece.code, _previous_day(iso)):
                    step = []  # created this day from nothing (区の新設, 沖縄返還)
                else:
                    nxt.append(piece)
                    continue
            if not step:
                name = code_table_on(start)["muni_name"].get(codes[piece.index], "")
                met = day.outgoing.get(piece.code, []) + day.incoming.get(piece.code, [])
                types = "、".join(dict.fromkeys(typ for _, typ in met))
                why = f"{types or 'no successor'} on {iso}: no code {'after' if forward else 'before'} this date" + (
                    "" if forward else " (the area is part of another row, e.g. its designated city)"
                )
                dropped.append((row_ids[piece.index], codes[piece.index], name, why))
                dropped_index.add(piece.index)
                continue
            targets = tuple(sorted(t for t, _ in step))
            for target, types in step:
                split = [(iso, piece.code, target, targets)] if len(step) > 1 else []
                events = [(iso, t) for t in dict.fromkeys(types)] if types else []
                nxt.append(_Piece(piece.index, target, piece.share_key + split, piece.events + events))
        pieces = nxt
    dropped_index -= {p.index for p in pieces}  # part of a split may survive
    if city_level:
        # a table of whole cities: a town merged into a ward (蒲原町 → 静岡市清水区 22103, 2006) joins the city
        end_kinds = code_table_on(end)
        for p in pieces:
            if end_kinds["kind"].get(p.code) == "ward":
                p.code = str(end_kinds.at[p.code, "city_code"])
    return pieces, dropped, kept, dropped_index


def _weight_lookup(weights: WeightsLike | None) -> tuple[dict[tuple[str, str], float], dict[str, float], str]:
    pairs, per_code, kind = _weights_of(weights)
    bad = [(k, v) for k, v in (*pairs.items(), *per_code.items()) if not np.isfinite(v) or v < 0]
    if bad:
        shown = ", ".join(f"{' → '.join(k) if isinstance(k, tuple) else k}: {v:g}" for k, v in bad[:8])
        raise ValidationError(
            f"weights: {len(bad)} negative, infinite or empty weight(s) ({shown}{' …' if len(bad) > 8 else ''}); "
            "a weight is a non-negative amount (population, area …): correct them, or leave the row out to "
            "have the split refused and named"
        )
    return pairs, per_code, kind


def _weights_of(weights: WeightsLike | None) -> tuple[dict[tuple[str, str], float], dict[str, float], str]:
    if weights is None:
        return {}, {}, ""
    if isinstance(weights, pd.DataFrame):
        if {"from_code", "to_code", "weight"} <= set(weights.columns):
            pairs = {
                (str(f), str(t)): float(w)
                for f, t, w in zip(weights["from_code"], weights["to_code"], weights["weight"], strict=True)
            }
            return pairs, {}, "pair weights"
        code_col = next((c for c in ("muni_code", "code") if c in weights.columns), None)
        if code_col is None or "weight" not in weights.columns:
            raise ValidationError(
                "weights frame: give columns (from_code, to_code, weight) for pair shares, or (muni_code, weight) "
                "for a weight per code"
            )
        return (
            {},
            {str(c): float(w) for c, w in zip(weights[code_col], weights["weight"], strict=True)},
            "weights per code",
        )
    items = dict(weights.items())
    if items and all(isinstance(k, tuple) for k in items):
        return {(str(k[0]), str(k[1])): float(v) for k, v in items.items()}, {}, "pair weights"
    label = (
        f"weights per code ({weights.name})" if isinstance(weights, pd.Series) and weights.name else "weights per code"
    )
    return {}, {str(k): float(v) for k, v in items.items() if pd.notna(v)}, label


def _apportion(
    pieces: list[_Piece], weights: WeightsLike | None, label: str | None
) -> tuple[list[float], list[str], list[str]]:
    pairs, per_code, kind = _weight_lookup(weights)
    kind = f"{label} ({kind})" if label else kind
    cache_: dict[tuple[str, str, str], float] = {}
    missing: dict[tuple[str, str], tuple[str, ...]] = {}
    notes: list[str] = []
    for piece in pieces:
        for iso, frm, to, candidates in piece.share_key:
            key = (iso, frm, to)
            if key in cache_:
                continue
            if all((frm, c) in pairs for c in candidates):
                vals = [pairs[(frm, c)] for c in candidates]
            elif all(c in per_code for c in candidates):
                vals = [per_code[c] for c in candidates]
                notes.append(
                    f"{frm} split on {iso} by {kind} of {', '.join(candidates)} (a proxy; pair shares are exact)"
                )
            else:
                missing[(iso, frm)] = candidates
                continue
            total = sum(vals)
            if total <= 0 or any(v < 0 for v in vals):
                missing[(iso, frm)] = candidates
                continue
            for c, v in zip(candidates, vals, strict=True):
                cache_[(iso, frm, c)] = v / total
    problems = []
    if missing:
        listed = "; ".join(f"{frm} → {', '.join(c)} on {iso}" for (iso, frm), c in sorted(missing.items()))
        problems.append(
            f"{len(missing)} split(s) need weights to apportion their values: {listed}. Give weights= as "
            "(1) a population per code at the split's side (pd.Series code → persons, e.g. a resident-register "
            "table), (2) areas from boundaries (geo.crosswalk.area_weights(boundaries)), or (3) your own shares per "
            "pair ({('22135', '22138'): 0.4, ('22135', '22139'): 0.6}, or a frame from_code, to_code, weight); "
            "on the command line: geo codes convert ... --weights FILE.csv"
        )
    shares = [float(np.prod([cache_.get(k[:3], np.nan) for k in p.share_key])) if p.share_key else 1.0 for p in pieces]
    return shares, list(dict.fromkeys(notes)), problems


def _integer_parts(value: int, shares: np.ndarray) -> np.ndarray:
    """Largest-remainder apportionment: integer parts ∝ shares that sum exactly to ``value``."""
    raw = value * shares / shares.sum()
    parts = np.floor(raw).astype(np.int64)
    rest = int(value - parts.sum())
    if rest:
        order = np.argsort(-(raw - parts), kind="stable")
        parts[order[:rest]] += 1
    return parts


def _build_output(
    rows: pd.DataFrame,
    codes: pd.Series,
    row_ids: pd.Series,
    pieces: list[_Piece],
    shares: list[float],
    code_column: str,
    extensive: list[str],
    intensive_map: dict[str, tuple[str, str, float]],
    plain_intensive: list[str],
    undeclared: list[str],
    start: datetime.date,
    end: datetime.date,
    dropped_index: set[int],
) -> tuple[pd.DataFrame, pd.DataFrame, dict, dict[str, str]]:
    names_end = code_table_on(end)["muni_name"]
    frame = pd.DataFrame({
        "index": [p.index for p in pieces], "to_code": [p.code for p in pieces], "share": shares,
    })  # fmt: skip
    n_sources = frame.groupby("to_code")["index"].transform("nunique")
    combined = (frame["share"] < 1) | (n_sources > 1)
    changed_rows = set(frame.loc[combined, "index"])
    # columns that cannot be combined
    problems = []
    for col in plain_intensive + undeclared:
        bad = [i for i in changed_rows if pd.notna(rows.at[i, col])]
        if bad:
            why = (
                "is intensive (a rate or average)"
                if col in plain_intensive
                else "looks like a rate or average and is not declared"
            )
            sample = ", ".join(f"row {row_ids[i]} {codes[i]}" for i in sorted(bad)[:5])
            problems.append(
                f"column {col!r} {why}: it cannot be summed or split where municipalities merge or split ({sample}); "
                f"give its numerator and denominator (intensive={{{col!r}: ('numerator', 'denominator')}}), declare it "
                "extensive if it is a count, or drop it"
            )
    if problems:
        raise ValidationError(problems)
    # extensive values per piece
    values: dict[str, np.ndarray] = {}
    for col in extensive + sorted({c for spec in intensive_map.values() for c in spec[:2]} - set(extensive)):
        series = rows[col]
        is_int = pd.api.types.is_integer_dtype(series)
        base = series.to_numpy(dtype="float64", na_value=np.nan)
        vals = np.empty(len(frame))
        for idx, group in frame.groupby("index").groups.items():
            pos = np.asarray(list(group))
            v = base[idx]
            sh = frame["share"].to_numpy()[pos]
            if len(pos) == 1 and sh[0] == 1:
                vals[pos] = v
            elif np.isnan(v):
                vals[pos] = np.nan
            elif is_int and float(v).is_integer():
                vals[pos] = _integer_parts(int(v), sh)
            else:
                parts = v * sh / sh.sum()
                parts[-1] = v - parts[:-1].sum()  # the parts add up to the whole exactly
                vals[pos] = parts
        values[col] = vals
    frame = frame.assign(**{f"v::{c}": v for c, v in values.items()})
    agg = frame.groupby("to_code", sort=False).agg(
        {"index": "first", **{f"v::{c}": lambda s: s.sum(min_count=len(s)) for c in values}}
    )
    first = agg["index"].to_numpy()
    out = rows.iloc[first].copy().reset_index(drop=True)
    out[code_column] = agg.index.astype(str)
    for c in values:
        col = agg[f"v::{c}"].to_numpy()
        if c in rows.columns and pd.api.types.is_integer_dtype(rows[c]):
            out[c] = pd.array(np.where(np.isnan(col), 0, col).astype(np.int64), dtype="Int64")
            out.loc[np.isnan(col), c] = pd.NA
        else:
            out[c] = col
    merged_codes = set(frame.loc[combined, "to_code"])
    merged = out[code_column].isin(merged_codes)
    text_cols = [
        c for c in rows.columns if c not in values and c not in (code_column, "source_row") and c not in intensive_map
    ]
    for c in text_cols:
        combinable = c not in plain_intensive and c not in undeclared and pd.api.types.is_numeric_dtype(rows[c])
        if not combinable and c not in _NAME_COLUMNS:
            out.loc[merged, c] = pd.NA  # text and rates of merged rows have no single value
    intensive_notes = {}
    for name, (num, den, scale) in intensive_map.items():
        recomputed = out[num].astype("float64") / out[den].astype("float64") * scale
        given = rows[name].astype("float64")
        check = rows[num].astype("float64") / rows[den].astype("float64") * scale
        ok = given.notna() & check.notna()
        if ok.any() and not np.allclose(given[ok], check[ok], rtol=0.02, equal_nan=True):
            ratio = float(np.nanmedian(given[ok] / check[ok]))
            raise ValidationError(
                f"intensive column {name!r} is not {num} / {den} × {scale:g} in the input (median ratio {ratio:.4g}): "
                f"give the scale, e.g. intensive={{{name!r}: ({num!r}, {den!r}, {scale * ratio:.4g})}}"
            )
        out[name] = out[name].astype("float64")  # a rate read as integers (20.0 → 20) gets fractions back
        out.loc[merged, name] = recomputed[merged]
        intensive_notes[name] = f"recomputed as {num} / {den} × {scale:g} where rows merged or split (never summed)"
    for name in plain_intensive:
        intensive_notes[name] = "carried over 1:1 (no merge or split touched it)"
    # names at the target date
    new_names = out[code_column].map(names_end)
    changed_codes = {p.code for p, s in zip(pieces, shares, strict=True) if p.events}
    touched = out[code_column].isin(changed_codes)
    if "muni_name" in out.columns:
        out.loc[touched, "muni_name"] = new_names[touched]
    else:
        out["muni_name"] = new_names
    for c in ("name", "市区町村名", "市区町村"):
        if c in out.columns and not pd.api.types.is_numeric_dtype(out[c]):
            out.loc[touched, c] = new_names[touched]
    traced = sorted({p.index for p in pieces})
    # every traced row in, every row they became out (nothing created or lost), each at one level: a ward whose
    # designated city is listed too counts in the city's row only (never city + wards)
    once_in = _counted_once(codes.loc[traced], start)
    once_out = _counted_once(out[code_column].astype("string"), end)
    totals = {}
    for c in extensive:
        before = float(rows.loc[traced, c].astype("float64")[once_in].sum())
        after = float(out[c].astype("float64")[once_out].sum())
        totals[c] = {"before": before, "after": after, "equal": bool(np.isclose(before, after, rtol=0, atol=1e-6))}
    kept_rows = rows.drop(index=traced + sorted(dropped_index))
    order = np.concatenate([first, kept_rows.index.to_numpy()])  # rows stay in the input's order
    out = pd.concat([out, kept_rows.iloc[0:0] if kept_rows.empty else kept_rows], ignore_index=True)
    out = out.iloc[np.argsort(order, kind="stable")]
    out = out[[*rows.columns, *(["muni_name"] if "muni_name" not in rows.columns else [])]]
    # report of converted rows
    start_names = code_table_on(start)["muni_name"]
    records = []
    for p, s in zip(pieces, shares, strict=True):
        if not p.events:
            continue
        last_date, last_type = p.events[-1]
        split_note = "; ".join(f"{frm} split on {iso}" for iso, frm, _to, _c in p.share_key)
        records.append({
            "source_row": row_ids[p.index], "from_code": codes[p.index], "from_name": start_names.get(codes[p.index], ""),
            "to_code": p.code, "to_name": names_end.get(p.code, ""), "share": s, "event_type": last_type,
            "event_date": last_date, "events": "; ".join(f"{d} {t}" for d, t in p.events), "weight": split_note or None,
        })  # fmt: skip
    converted = pd.DataFrame(records, columns=_CONVERTED_COLUMNS)
    return out.reset_index(drop=True), converted, totals, intensive_notes


# ============================================================================================== weights


def area_weights(boundaries: pd.DataFrame) -> pd.Series:
    """Area (km², national equal-area projection) of each ``muni_code`` of a boundary layer: weights for splits.

    Examples
    --------
    >>> w = area_weights(geo.read_boundaries("n03-2021-s0010", prefectures=["22"]))  # doctest: +SKIP
    """

    areas = pd.Series(area_km2(boundaries), index=boundaries["muni_code"].to_numpy(), name="area_km2")
    return areas[areas.index.notna()].groupby(level=0).sum()


def parse_intensive(values: Sequence[str]) -> dict[str, tuple[str, str, float] | None]:
    """``NAME`` or ``NAME=NUM/DEN`` or ``NAME=NUM/DEN*SCALE`` → the ``intensive=`` mapping of convert_codes."""
    out: dict[str, tuple[str, str, float] | None] = {}
    for value in values:
        name, _, spec = value.partition("=")
        if not spec:
            out[name] = None
            continue
        ratio, _, scale = spec.partition("*")
        num, slash, den = ratio.partition("/")
        if not slash or not num or not den:
            raise ValidationError(f"intensive {value!r}: write NAME=NUMERATOR/DENOMINATOR[*SCALE]")
        try:
            out[name] = (num, den, float(scale) if scale else 1.0)
        except ValueError as exc:
            raise ValidationError(f"intensive {value!r}: the scale {scale!r} is not a number") from exc
    return out


def read_weights(path: str | None) -> pd.DataFrame | None:
    """A weights CSV: columns ``muni_code`` (or ``code``) and ``weight``, or ``from_code, to_code, weight``."""
    if path is None:
        return None
    frame = pd.read_csv(path, dtype={"muni_code": str, "code": str, "from_code": str, "to_code": str})
    return frame
