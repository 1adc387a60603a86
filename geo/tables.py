"""Statistics tables as planners bring them: CSV/TSV/Excel in UTF-8, UTF-8 with BOM or CP932, read into
one shape with a normalised code column.

:func:`read_indicators` reads multi-row headers (the SSDSE originals: item code, year, Japanese label), finds
the code column and normalises codes through :mod:`geo.codes`; e-Stat markers for suppressed or missing
cells (``-``, ``X``, ``…``, ``***``) become missing values with a ``<column>_秘匿`` flag where they hide a
value. Joining is :mod:`geo.indicators`.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from geo import _tables
from geo._errors import ValidationError
from geo._inputs import local_file
from geo._validate import check_counts
from geo.codes import (
    DESIGNATED_CITIES,
    PREFECTURES,
    TOKYO_WARDS_CODE,
    city_of,
    muni_table,
    normalize_muni_codes,
    normalize_pref_code,
)

log = logging.getLogger(__name__)

_TOTAL_NAMES = re.compile(r"全国|合計|総数|総計|^計$|total|japan", re.IGNORECASE)


def read_indicators(
    path: str | Path,
    *,
    code_column: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read an indicator table keyed by municipal or prefecture codes.

    Parameters
    ----------
    path
        CSV, TSV/TXT or Excel (``.xlsx``; ``.xls`` needs xlrd). Title rows, multi-row headers and note rows
        below the data are recognised.
    code_column
        Header of the code column (any header row); by default the column headed コード/code/団体コード…
        holding codes, or a column of municipality names (市区町村名) if there are no codes.
    encoding
        By default UTF-8 (with or without BOM) is tried strictly, then CP932 (Shift_JIS).
    sheet
        Excel sheet name or 0-based index; required when the workbook has several sheets.

    Returns
    -------
    DataFrame
        ``muni_code`` (5-digit str) or ``pref_code`` (2-digit str) first, then ``source_row`` (the row number
        in the file, 1-based) and the file's columns, numeric where the cells are numbers ("1,234", "△5",
        full-width digits; "-", "…", "x" → missing). A national total row (全国/合計) keeps a missing code.
        ``attrs["indicators"]`` records path, encoding, level, code column, name column, header rows, SSDSE
        item codes and years per column, missing-value markers and skipped note rows.

    Raises
    ------
    ValidationError
        Listing every problem with file, row and column: undecodable bytes, no code column, empty or invalid
        codes, unknown or ambiguous names, duplicated codes, text in a numeric column.

    Examples
    --------
    >>> t = read_indicators("SSDSE-A-2026.csv")        # doctest: +SKIP  (CP932, 3 header rows)
    >>> t.attrs["indicators"]["item_codes"]["総人口"]      # doctest: +SKIP
    'A1101'
    """
    path = local_file(path, what="table")
    raw = _tables.read_raw(path, encoding=encoding, sheet=sheet)
    header = _tables.find_header(raw, code_column=code_column)
    code_name = header.names[header.code_index]
    body = raw.rows[header.data_start :]
    lines = pd.Series(raw.lines[header.data_start :], dtype="int64")
    if not any(any(c for c in r) for r in body):
        raise ValidationError(
            f"the table has no rows: only the header (row {raw.lines[header.data_start - 1]}); add the data rows "
            "or pick the right file/sheet",
            source=path,
        )
    grid = pd.DataFrame(body, columns=header.names, dtype=object)
    empty = grid.eq("").all(axis=1)
    # a note (注：…, 資料：…) is one long text cell, usually under the data; blank rows are layout
    single = grid.ne("").sum(axis=1) == 1
    notes = (
        ~empty & single & grid.apply(lambda r: _is_note(next(c for c in r if c)) if (r != "").any() else False, axis=1)
    )
    skipped = [(int(lines[i]), " ".join(c for c in grid.loc[i] if c)) for i in grid.index[notes]]
    keep = ~(empty | notes)
    grid, lines = grid[keep].reset_index(drop=True), lines[keep].reset_index(drop=True)
    if grid.empty:
        raise ValidationError(f"no data rows below the header (row {raw.lines[header.data_start - 1]})", source=path)

    problems: list[str] = []
    typed: dict[str, pd.Series] = {}
    markers: dict[str, int] = {}
    suppressed: dict[str, pd.Series] = {}
    for name in header.names:
        if name == code_name or (name.startswith("column_") and grid[name].eq("").all()):
            continue  # trailing commas make empty unnamed columns
        column = _tables.type_column(grid[name], name, raw, lines)
        typed[name] = column.values
        problems += column.problems + check_counts(
            column.values, name, where=lambda i, n=name: raw.where(int(lines[i]), n)
        )
        if column.n_markers:
            markers[name] = column.n_markers
        if column.suppressed.any():
            suppressed[name] = column.suppressed
    name_col = _find_name_column(header.names, code_name, typed, _tables.NAME_HEADER)
    pref_col = _find_name_column(header.names, code_name, typed, _tables.PREF_HEADER)
    level, codes, code_problems = _normalise_codes(
        grid[code_name], raw, lines, code_name,
        names=typed.get(name_col) if name_col else None, prefs=typed.get(pref_col) if pref_col else None,
    )  # fmt: skip
    problems = code_problems + problems
    if problems:
        raise ValidationError(problems, source=path)

    key = "pref_code" if level == "prefecture" else "muni_code"
    columns = {key: codes.astype("string"), "source_row": lines}
    spelled = grid[code_name].map(_tables.clean).str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    if (~spelled.str.fullmatch(r"R?\d{1,6}|-?")).mean() > 0.5:  # names stood for codes: keep them as written
        columns[code_name if code_name not in (key, "source_row") else f"{code_name}_original"] = grid[code_name]
        if level == "prefecture":
            pref_col = pref_col or code_name
        else:
            name_col = name_col or code_name
    for name, col in typed.items():
        columns[name if name not in (key, "source_row") else f"{name}_original"] = col.reset_index(drop=True)
        if name in suppressed:  # 秘匿 cells: NaN in the column, True here (see suppressed_mask)
            columns[suppressed_column(name)] = suppressed[name].reset_index(drop=True).astype(bool)
    out = pd.DataFrame(columns)
    out.attrs["indicators"] = {
        "path": str(path),
        "encoding": raw.encoding,
        "sheet": raw.sheet,
        "level": level,
        "code_column": code_name,
        "name_column": name_col,
        "pref_column": pref_col,
        "header_rows": [raw.lines[i] for i in range(header.data_start)],
        "item_codes": header.item_codes,
        "years": header.years,
        "missing_markers": markers,
        "suppressed": {name: int(mask.sum()) for name, mask in suppressed.items()},
        "skipped_rows": skipped,
    }
    log.info("read %s (%s, %s level): %d rows", path.name, raw.encoding or "Excel", level, len(out))
    return out


SUPPRESSED_SUFFIX = "_秘匿"
"""A numeric column ``c`` with e-Stat 秘匿 cells (x, …, *, ***) gets a boolean companion ``c + SUPPRESSED_SUFFIX``."""


def suppressed_column(column: str) -> str:
    """Name of the boolean companion column flagging the 秘匿 (suppressed) cells of ``column``."""
    return f"{column}{SUPPRESSED_SUFFIX}"


def suppressed_mask(frame: pd.DataFrame, column: str) -> pd.Series:
    """True where ``column`` is missing because the source suppressed it (秘匿), False elsewhere.

    Works on a table from :func:`read_indicators` and on joined areas (the companion column travels through the
    join). A map draws these cells as 秘匿 and the other missing cells as データなし.

    Examples
    --------
    >>> t = pd.DataFrame({"pop": [5.0, None], "pop_秘匿": [False, True]})
    >>> suppressed_mask(t, "pop").tolist()
    [False, True]
    """
    flag = suppressed_column(column)
    if flag not in frame.columns:
        return pd.Series(False, index=frame.index)
    return frame[flag].fillna(False).astype(bool)


def _is_note(cell: str) -> bool:
    text = _tables.clean(cell)
    return (
        not _tables.SHORT_CODE_VALUE.match(text)
        and _tables.parse_number(text) is None
        and (len(text) > 12 or text.startswith(("注", "資料", "出典", "※", "(注", "（注")))
    )


def _find_name_column(names: list[str], code_name: str, typed: dict[str, pd.Series], pattern: re.Pattern) -> str | None:
    for n in names:
        is_text = n in typed and not pd.api.types.is_numeric_dtype(typed[n])
        if n != code_name and pattern.search(n) and is_text and not re.search(r"コード|code", n, re.I):
            return n
    return None


def _normalise_codes(
    values: pd.Series, raw: _tables.RawTable, lines: pd.Series, column: str, *, names: pd.Series | None,
    prefs: pd.Series | None,
) -> tuple[str, pd.Series, list[str]]:  # fmt: skip
    """Codes → 5-digit municipal or 2-digit prefecture codes; decide the table's level; list problems."""
    text = values.map(_tables.clean).str.replace(r"^(\d{1,6})\.0+$", r"\1", regex=True)  # 1100.0 → 1100
    if text.str.fullmatch(r"R\d{5}").mean() > 0.5:  # SSDSE writes region codes as R01100
        text = text.str.replace(r"^R(?=\d{5}$)", "", regex=True)

    def labels(col: pd.Series | None) -> pd.Series:
        if col is None:
            return pd.Series("", index=values.index)
        col = col.fillna("").astype(str)
        return col.where(~col.isin(_tables.MISSING_MARKERS), "")

    label, pref_label = labels(names), labels(prefs)
    total = (
        text.isin({"", "-", "−", "―", "0", "00", "00000", "000000", "000001"})
        & (label.str.contains(_TOTAL_NAMES) | pref_label.str.contains(_TOTAL_NAMES)
           | text.isin({"00000", "000000", "000001"}))
    ) | text.str.fullmatch(r"全国|合計|総数|総計|計")  # fmt: skip
    problems: list[str] = []
    repairs: list[str] = []
    codes = pd.Series(pd.NA, index=values.index, dtype="object")
    todo = ~total
    digits = text[todo].str.fullmatch(r"\d{1,6}")
    pref_like = text[todo].str.fullmatch(r"\d{1,2}|\d{2}000|\d{2}000\d") | text[todo].isin(_pref_spellings())
    level = "prefecture" if len(pref_like) and pref_like.all() else "municipality"
    if level == "prefecture":
        for i in text.index[todo]:
            try:
                codes[i] = normalize_pref_code(text[i])
            except ValidationError as exc:
                problems.append(f"{raw.where(int(lines[i]), column)}: {exc}")
    else:
        as_names = todo & ~text.str.fullmatch(r"\d{1,6}")
        source = text.where(~as_names, values.astype(str).str.strip())
        result = normalize_muni_codes(
            source[todo],
            prefs=pref_label[todo].where(pref_label[todo] != "") if prefs is not None else None,
            names=label[todo].where(label[todo] != "") if names is not None and not as_names.all() else None,
        )
        codes[todo] = result["code"].astype(object)
        for i in result.index[result["note"].notna()]:
            repairs.append(f"{raw.where(int(lines[i]), column)}: {result.at[i, 'note']}")
        for i in result.index[result["problem"].notna()]:
            value = values[i]
            if text[i] == "":
                fix = "fill in the 5-digit code (or the name) or delete the row"
                why = "the code is empty"
            elif bool(digits.get(i, False)):
                fix = "give the 5-digit code (e.g. 13101) or the 6-digit code with check digit"
                why = result.at[i, "problem"]
            else:
                fix = "use the 5-digit code, or add the prefecture in a 都道府県 column to disambiguate"
                why = result.at[i, "problem"]
            problems.append(f"{raw.where(int(lines[i]), column)}: {why} (value {value!r}); {fix}")
    dup = codes[codes.notna()].duplicated(keep=False)
    for code, group in codes[codes.notna()][dup].groupby(codes[codes.notna()][dup]):
        rows = ", ".join(str(int(lines[i])) for i in group.index)
        problems.append(
            f"{raw.path.name}: rows {rows}, column {column!r}: the code {code} appears {len(group)} times; "
            "keep one row per code (a table of several years belongs in columns, not rows)"
        )
    for message in repairs:  # fixed with a notice: the user sees every repaired code
        log.warning("%s", message)
    return level, codes, problems


def _pref_spellings() -> set[str]:
    names = set(PREFECTURES.values())
    return names | {n.rstrip("都府県") for n in names if n != "北海道"}


def code_kinds(codes: pd.Series) -> pd.Series:
    """What each municipal code stands for: ``national``, ``prefecture``, ``tokyo_wards_total`` (13100),
    ``designated_city``, ``ward``, ``municipality`` (in the 2021 code table) or ``other`` (a former or
    newer code, a 郡 total, 島しょ ...)."""
    known = set(muni_table()["muni_code"])

    def kind(code: object) -> str:
        if code is None or code is pd.NA or (isinstance(code, float) and np.isnan(code)):
            return "national"
        c = str(code)
        if c == "00000":
            return "national"
        if c.endswith("000"):
            return "prefecture"
        if c == TOKYO_WARDS_CODE:
            return "tokyo_wards_total"
        if c in DESIGNATED_CITIES:
            return "designated_city"
        if city_of(c) != c:
            return "ward"
        return "municipality" if c in known else "other"

    return codes.map(kind).astype(object)


def table_level(table: pd.DataFrame) -> str:
    """The boundary level a table joins to: ``prefecture`` (pref_code), ``designated_city`` (whole designated
    cities and no wards, like SSDSE-A) or ``municipality`` (wards, with or without city totals)."""
    if "muni_code" not in table.columns:
        return "prefecture"
    kinds = set(code_kinds(table["muni_code"]))
    return "designated_city" if "designated_city" in kinds and "ward" not in kinds else "municipality"
