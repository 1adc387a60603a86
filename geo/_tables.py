"""Read statistical tables as users bring them: CSV/TSV/Excel, UTF-8 (with or without BOM), CP932 or
UTF-16, with title rows, multi-row headers (SSDSE: item code, year, Japanese label) and note rows.

This module only turns a file into a grid of cells with real file row numbers, a header and typed columns;
:mod:`geo.indicators` normalises the codes and joins. Every problem names the file, the row and the column.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo._errors import ValidationError

ENCODINGS = ("utf-8-sig", "cp932")
"""Tried in this order when no encoding is given; UTF-8 is strict, so a CP932 file never passes as UTF-8."""

MISSING_MARKERS = frozenset(
    {"", "-", "−", "－", "―", "‐", "…", "...", "・・・", "x", "X", "*", "***", "NA", "N/A", "nan"}
)
"""Cells that are not numbers in Japanese official tables; see :data:`ZERO_MARKERS` and :data:`SUPPRESSED_MARKERS`."""

ZERO_MARKERS = frozenset({"-", "−", "－", "―", "‐"})
"""e-Stat 「-」 該当数字なし: nothing to count, i.e. 0 (総務省統計局, 統計表の記号)."""

SUPPRESSED_MARKERS = frozenset({"x", "X", "…", "...", "・・・", "*", "***"})
"""e-Stat 「x」 秘匿 (and 「…」, 「*」, 「***」 used alike): a value exists but is withheld. Read as missing (NaN)
and flagged, so joins count them apart and maps draw them as 秘匿, not データなし."""

_CODE_HEADER = re.compile(r"コード|code|団体|jis|n03_007|標準地域", re.IGNORECASE)
NAME_HEADER = re.compile(r"市区町村|自治体|municipality|^name$|名称|地域名|area_name|muni_name", re.IGNORECASE)
PREF_HEADER = re.compile(r"都道府県|prefecture|^pref$|pref_name|県名", re.IGNORECASE)
_CODE_VALUE = re.compile(r"^R?\d{5,6}(\.0+)?$")  # 1100.0: a code column read as floats by another tool
SHORT_CODE_VALUE = re.compile(r"^R?\d{1,6}(\.0+)?$")
_ITEM_CODE = re.compile(r"^[A-Z]{1,2}\d{3,}$")
_YEAR = re.compile(r"^(19|20)\d{2}(年度?)?$")
_UNITS = frozenset({"人", "世帯", "円", "千円", "百万円", "％", "%", "ha", "km2", "km²", "件", "所", "戸", "床"})
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_ODD_CHARS = re.compile("[\x80-\x9f\uf8f0-\uf8f3]")  # C1 controls; cp932 0xA0, 0xFD-0xFF
_HEADER_SCAN = 40  # header blocks are at most this many rows; data never starts later


@dataclass
class RawTable:
    """A file read as text cells, before the header is found: ``rows[i]`` came from file row ``lines[i]``."""

    path: Path
    rows: list[list[str]]
    lines: list[int]
    encoding: str | None
    sheet: str | None = None
    notes: list[tuple[int, str]] = field(default_factory=list)
    delimiter: str | None = None
    decimal_comma: bool = False

    def where(self, line: int, column: str | None = None) -> str:
        sheet = f", sheet {self.sheet!r}" if self.sheet else ""
        col = f", column {column!r}" if column is not None else ""
        return f"{self.path.name}{sheet}: row {line}{col}"


# ----------------------------------------------------------------------------------------------- reading


def read_raw(path: Path, *, encoding: str | None = None, sheet: str | int | None = None) -> RawTable:
    """Read a CSV/TSV/TXT or Excel file into text cells, keeping each cell's file row number (1-based)."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(path, sheet)
    if suffix == ".xls":
        return _read_xls(path, sheet)
    if sheet is not None:
        raise ValidationError(f"sheet={sheet!r} only applies to Excel files; {path.name} is read as text", source=path)
    text, used = decode(path.read_bytes(), path, encoding=encoding)
    if not text.strip():
        raise ValidationError("the file is empty: it has no header and no rows", source=path)
    delimiter = "\t" if suffix == ".tsv" else sniff_delimiter(text)
    rows: list[list[str]] = []
    lines: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for row in reader:
            # the reader's line_num is the last physical line of the record: a quoted cell may span lines
            rows.append([cell.strip() for cell in row])
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ValidationError(
            f"row {reader.line_num}: {exc} (an unclosed quote?); fix the quoting or save it as CSV again",
            source=path,
        ) from None
    return RawTable(path, rows, lines, used, delimiter=delimiter, decimal_comma=_decimal_comma(rows, delimiter))


def sniff_delimiter(text: str) -> str:
    """The delimiter of a text table: ``,``, ``;``, tab or ``|``, whichever splits the first lines most
    consistently into the most fields (quoted cells such as ``"189,591"`` are respected).

    Examples
    --------
    >>> sniff_delimiter("code;name;pop\\n19201;甲府市;189591,5"), sniff_delimiter('a,b\\n1,"2,5"')
    (';', ',')
    """
    head = text[:20_000].splitlines()[:30]
    best, best_score = ",", (-1, 0)
    for candidate in (",", ";", "\t", "|"):
        try:
            counts = [len(r) for r in csv.reader(head, delimiter=candidate) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        score = (sum(c == mode for c in counts), mode)
        if score > best_score:
            best, best_score = candidate, score
    return best


_DECIMAL_COMMA = re.compile(r"^[+-]?\d{1,3}(\.\d{3})*,\d+$|^[+-]?\d+,\d+$")
_THOUSANDS_COMMA = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _decimal_comma(rows: list[list[str]], delimiter: str) -> bool:
    """True when a non-comma-separated file writes decimals with a comma (``12,5``; ``1.234,5``)."""
    if delimiter == ",":
        return False
    cells = [clean(c) for r in rows[:500] for c in r if "," in c]
    if not cells:
        return False
    decimal = sum(bool(_DECIMAL_COMMA.match(c)) and not _THOUSANDS_COMMA.match(c) for c in cells)
    thousands = sum(bool(_THOUSANDS_COMMA.match(c)) for c in cells)
    return decimal > 0 and decimal >= thousands


def decode(data: bytes, path: Path, *, encoding: str | None) -> tuple[str, str]:
    """Decode bytes strictly: the given encoding, else UTF-8 (BOM optional), UTF-16 by its BOM, then CP932.

    The one encoding sniffer of the toolkit: statistics tables, point tables and mesh files all decode here.
    Returns ``(text, encoding used)``; raises ValidationError naming the row of the first undecodable byte.
    """
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise ValidationError(f"encoding={encoding!r} is unknown to Python (try 'cp932' or 'utf-8')",
                                  source=path) from None  # fmt: skip
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"row {_line_of(data, exc.start)}: byte 0x{data[exc.start]:02x} is not valid {encoding}; "
                f"give the file's real encoding, or leave encoding unset to detect UTF-8/CP932",
                source=path,
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    failures = []
    for candidate in ENCODINGS:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError as exc:
            failures.append(f"{candidate} fails at row {_line_of(data, exc.start)} (byte 0x{data[exc.start]:02x})")
            continue
        # Python's cp932 maps unused bytes (0x80, 0xA0, 0xFD-0xFF) to control/private-use characters, which
        # no real table holds: treat them as a failed decode instead of reading garbage
        odd = _ODD_CHARS.search(text)
        if odd is None:
            return text, candidate
        failures.append(f"{candidate} gives a control character at row {text.count(chr(10), 0, odd.start()) + 1}")
    raise ValidationError(
        "the file is neither UTF-8 nor CP932 (Shift_JIS): " + "; ".join(failures)
        + ". Save it as UTF-8 CSV, or pass encoding=... (e.g. 'euc_jp')",
        source=path,
    )  # fmt: skip


def decode_to_utf8(data: bytes, path: Path, *, encoding: str | None) -> tuple[bytes, str]:
    """:func:`decode`'s reading as UTF-8 bytes (BOM dropped), for readers that parse bytes (pyarrow's CSV reader).

    Where :func:`decode` would take the data as UTF-8 (valid, no character it refuses), the bytes are returned
    as they are, checked without building the text (86 MB of stop_times: 0.4 → 0.1 s); otherwise the text
    :func:`decode` gives (CP932 …), or its refusal, re-encoded as UTF-8. Returns ``(bytes, encoding used)``.
    """
    if encoding is None and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        if _is_utf8(body) and not _has_odd_utf8(body):
            return body, ENCODINGS[0]
    text, used = decode(data, path, encoding=encoding)
    return text.encode("utf-8"), used


def _is_utf8(data: bytes) -> bool:
    """Strict UTF-8 (as Python decodes it), validated by pyarrow without building a str."""
    if data.isascii():
        return True
    import numpy as np
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    try:
        pa.LargeStringArray.from_buffers(1, offsets, pa.py_buffer(data)).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


_ODD_UTF8 = (re.compile(rb"\xc2[\x80-\x9f]"), re.compile(rb"\xef\xa3[\xb0-\xb3]"))  # _ODD_CHARS in UTF-8


def _has_odd_utf8(data: bytes) -> bool:
    """:data:`_ODD_CHARS` in valid UTF-8 bytes; the lead bytes are searched first (rare in Japanese tables)."""
    if b"\xc2" in data and _ODD_UTF8[0].search(data):
        return True
    return _has_pair(data, 0xEF, 0xA3) and _ODD_UTF8[1].search(data) is not None


def _has_pair(data: bytes, first: int, second: int, chunk: int = 1 << 20) -> bool:
    """Whether the byte ``first`` is followed by ``second`` somewhere: numpy over 1 MB chunks into reused buffers
    (no page faults from a whole-size mask; numpy lets go of the GIL, so a reader in another thread runs on)."""
    if len(data) <= chunk:
        return bytes((first, second)) in data
    import numpy as np

    u = np.frombuffer(data, np.uint8)
    a, b = np.empty(chunk, bool), np.empty(chunk, bool)
    for start in range(0, len(u) - 1, chunk):
        n = min(chunk, len(u) - 1 - start)
        np.equal(u[start : start + n], first, out=a[:n])
        np.equal(u[start + 1 : start + 1 + n], second, out=b[:n])
        np.logical_and(a[:n], b[:n], out=a[:n])
        if a[:n].any():
            return True
    return False


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(path: Path, sheet: str | int | None) -> RawTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a broken or mislabelled file
        raise ValidationError(
            f"cannot be opened as an Excel workbook ({exc}); is it really .xlsx?", source=path
        ) from None
    try:
        ws = _pick_sheet(path, book.sheetnames, sheet, lambda name: book[name])
        rows, lines = [], []
        for number, row in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
            rows.append([_cell_text(v) for v in row])
            lines.append(number)
        return RawTable(path, rows, lines, None, sheet=ws.title)
    finally:
        book.close()


def _read_xls(path: Path, sheet: str | int | None) -> RawTable:
    try:
        import xlrd  # noqa: F401
    except ImportError:
        raise ValidationError(
            "old Excel (.xls) files need the xlrd package (pip install xlrd), or save the sheet as .xlsx",
            source=path,
        ) from None
    book = pd.ExcelFile(path, engine="xlrd")
    name = _pick_sheet(path, [str(s) for s in book.sheet_names], sheet, lambda n: n)
    grid = book.parse(name, header=None, dtype=object)
    rows = [[_cell_text(v) if not pd.isna(v) else "" for v in r] for r in grid.itertuples(index=False)]
    return RawTable(path, rows, list(range(1, len(rows) + 1)), None, sheet=name)


def _pick_sheet(path: Path, names: list[str], sheet: str | int | None, get):
    if sheet is None:
        if len(names) > 1:
            raise ValidationError(
                f"the workbook has {len(names)} sheets ({', '.join(names)}): pass sheet=NAME (--sheet)",
                source=path,
            )
        return get(names[0])
    if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit() and sheet not in names):
        index = int(sheet)
        if not 0 <= index < len(names):
            raise ValidationError(f"sheet {sheet} does not exist; sheets: {', '.join(names)}", source=path)
        return get(names[index])
    if sheet not in names:
        raise ValidationError(f"sheet {sheet!r} does not exist; sheets: {', '.join(names)}", source=path)
    return get(sheet)


# ------------------------------------------------------------------------------------------------ header


def clean(value: str) -> str:
    """NFKC (full-width → ASCII digits), no spaces: the form codes and numbers are compared in."""
    return unicodedata.normalize("NFKC", value).strip().replace(" ", "")


@dataclass
class Header:
    """Where the header is and what the columns are called."""

    data_start: int  # index into RawTable.rows of the first data row
    names: list[str]
    pieces: dict[str, list[str]]  # name -> header cells top to bottom (item code, year, label ...)
    code_index: int
    item_codes: dict[str, str]
    years: dict[str, str]


def find_header(raw: RawTable, *, code_column: str | None) -> Header:
    """Find the code column and the header rows above the first data row, and name the columns."""
    rows = raw.rows
    width = max((len(r) for r in rows), default=0)
    if width == 0 or not any(any(c for c in r) for r in rows):
        raise ValidationError("the file is empty", source=raw.path)
    for r in rows:
        r.extend([""] * (width - len(r)))
    scan = min(len(rows), _HEADER_SCAN)
    if code_column is not None:
        code_index, label_row = _find_named_column(raw, code_column, scan)
    else:
        code_index, label_row = _guess_code_column(raw, width, scan)
    if label_row is None:  # the column was found by its values: the header ends above the first code
        first = next(i for i in range(len(rows)) if SHORT_CODE_VALUE.match(clean(rows[i][code_index])))
        label_row = first - 1
    if label_row < 0:
        raise ValidationError(
            "the first row already holds data: the table needs a header row naming its columns",
            source=raw.path,
        )
    # a title is a lone cell in the first column; group rows (令和3年 over a column) belong to the header
    block = [i for i in range(label_row + 1) if any(rows[i][1:]) or i == label_row]
    # a two-row header with merged cells (人口 over 総数/男/女, 地域コード spanning both rows): the rows under
    # the label row with no code and only text belong to the header too
    below = []
    while label_row + 1 < min(len(rows), scan) and _continues_header(rows[label_row + 1], code_index):
        label_row += 1
        below.append(label_row)
    names, pieces = _column_names(rows, block + below, width)
    if below:
        names = _merged_names(rows, block[-1], below, width, names)
        pieces = {n: pieces[old] for n, old in zip(names, pieces, strict=True)}
    item_codes, years = {}, {}
    for i in block:
        cells = [clean(c) for c in rows[i]]
        filled = [c for c in cells if c]
        if sum(bool(_ITEM_CODE.match(c)) for c in filled) >= max(2, 0.4 * len(filled)):
            item_codes = {n: c for n, c in zip(names, cells, strict=True) if _ITEM_CODE.match(c)}
        elif sum(bool(_YEAR.match(c)) for c in filled) > len(filled) / 2:
            years = {n: c for n, c in zip(names, cells, strict=True) if _YEAR.match(c)}
    return Header(label_row + 1, names, pieces, code_index, item_codes, years)


def _continues_header(row: list[str], code_index: int) -> bool:
    """A row under the header that is more header: no code, two or more cells, none a number or a note."""
    if clean(row[code_index]):
        return False
    cells = [clean(c) for c in row if c.strip()]
    return len(cells) >= 2 and all(
        parse_number(c) is None and c not in MISSING_MARKERS and len(c) <= 20 and not c.startswith(("注", "資料"))
        for c in cells
    )


def _merged_names(rows: list[list[str]], top: int, below: list[int], width: int, names: list[str]) -> list[str]:
    """Names of a merged two-row header: the upper label (carried across its merged span) joined to the lower,
    e.g. 人口（人）_総数, 人口（人）_男; a column labelled only once (地域コード over an empty cell) keeps its label."""
    carried, last = [], ""
    for c in rows[top]:
        last = c or last
        carried.append(last)
    out = []
    for j in range(width):
        lower = [rows[i][j] for i in below if rows[i][j]]
        upper = carried[j] if lower else rows[top][j]
        parts = [p for p in (upper, *lower) if p]
        out.append("_".join(dict.fromkeys(parts)) or names[j])
    seen: dict[str, int] = {}
    final = []
    for n in out:
        seen[n] = seen.get(n, 0) + 1
        final.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return final


def _find_named_column(raw: RawTable, code_column: str, scan: int) -> tuple[int, int]:
    wanted = clean(code_column)
    hits = [(i, j) for i in range(scan) for j, c in enumerate(raw.rows[i]) if clean(c) == wanted]
    if not hits:
        labels = sorted({c for i in range(scan) for c in raw.rows[i] if c and not _NUMBER.match(clean(c))})[:30]
        raise ValidationError(
            f"code_column={code_column!r} is not a column header in the first {scan} rows; headers seen: "
            + ", ".join(labels),
            source=raw.path,
        )
    i, j = hits[-1]
    return j, i


def _guess_code_column(raw: RawTable, width: int, scan: int) -> tuple[int, int | None]:
    """The code column: by header word (コード, code, 団体...) and by values that look like codes."""
    rows = raw.rows
    best: tuple[float, int, int | None] | None = None
    for j in range(width):
        header_rows = [i for i in range(scan) if _CODE_HEADER.search(rows[i][j])]
        label_row = header_rows[-1] if header_rows else None
        below = rows[(label_row + 1 if label_row is not None else 0) :]
        values = [clean(r[j]) for r in below if r[j]]
        if not values:
            continue
        long_codes = sum(bool(_CODE_VALUE.match(v)) for v in values) / len(values)
        short_codes = sum(bool(SHORT_CODE_VALUE.match(v)) for v in values) / len(values)
        distinct = len(set(values))
        if label_row is not None and short_codes >= 0.5:
            # a named code column: prefer the most distinct (municipal over prefecture codes), then leftmost
            score = 2 + min(distinct, 10_000) / 10_001 - j * 1e-9
        elif long_codes >= 0.8 and distinct >= 0.5 * len(values):
            score = 1 - j * 1e-3  # unnamed: the leftmost column of codes (counts can look like codes too)
        else:
            continue
        if best is None or score > best[0]:
            best = (score, j, label_row)
    if best is not None:
        return best[1], best[2]
    # no codes anywhere: a column of names (市区町村名 / 都道府県) under a header
    for pattern in (NAME_HEADER, PREF_HEADER):
        for i in range(scan):
            if sum(1 for c in rows[i] if c) < 2:  # a title such as 市区町村別人口 is not a header
                continue
            for j, c in enumerate(rows[i]):
                if pattern.search(c):
                    return j, i
    raise ValidationError(
        "no code column found (a header like 'コード', 'code', '団体コード' over 4-6 digit codes, or a "
        "column of "
        "municipality names): pass code_column=... (--code-column) naming it",
        source=raw.path,
    )


def _column_names(rows: list[list[str]], block: list[int], width: int) -> tuple[list[str], dict[str, list[str]]]:
    """Name = the lowest non-empty header cell; a unit (人, 世帯) takes the label above; duplicates take the
    group header above them (forward-filled across merged cells) until unique."""
    grid = [rows[i] for i in block]
    filled = []
    for r in grid:  # group headers span merged cells: carry them to the right
        carried, last = [], ""
        for c in r:
            last = c or last
            carried.append(last)
        filled.append(carried)
    names, pieces = [], {}
    for j in range(width):
        own = [r[j] for r in grid if r[j]]
        name = own[-1] if own else ""
        above = [r[j] for r in filled[:-1] if r[j] and r[j] != name]
        if name in _UNITS and above:  # a unit row (人, 世帯): name the column by the label above it
            name = f"{above[-1]}（{name}）"
        names.append(name)
    for depth in range(len(grid) - 1, 0, -1):
        counts = pd.Series(names).value_counts()
        dups = {n for n, k in counts.items() if k > 1}
        if not dups:
            break
        for j, n in enumerate(names):
            if n in dups:
                group = filled[depth - 1][j]
                if group and group not in n:
                    names[j] = f"{group}_{n}"
    final, seen = [], set()
    for j, n in enumerate(names):
        n = n or f"column_{j + 1}"
        base, k = n, 2
        while n in seen:
            n, k = f"{base}_{k}", k + 1
        seen.add(n)
        final.append(n)
        pieces[n] = [r[j] for r in grid]
    return final, pieces


# ---------------------------------------------------------------------------------------------- numbers


def parse_number(text: str, *, decimal_comma: bool = False) -> float | None:
    """A number as written in Japanese tables: full-width, thousands commas, △/▲ for minus, trailing %.

    ``decimal_comma``: the file writes ``1.234,5`` (a ``;``-separated European export): ``.`` groups, ``,`` is
    the decimal point.
    """
    t = clean(text)
    t = t.replace(".", "").replace(",", ".") if decimal_comma else t.replace(",", "")
    if t.startswith(("△", "▲")):
        t = "-" + t[1:]
    if t.endswith("%"):
        t = t[:-1]
    return float(t) if _NUMBER.match(t) else None


def is_text_column(name: str) -> bool:
    """Columns holding identifiers even when they look numeric (codes keep their leading zeros)."""
    return bool(_CODE_HEADER.search(name))


@dataclass
class TypedColumn:
    """A table column after typing: values, problems (file row and column each), and its marker cells."""

    values: pd.Series
    problems: list[str]
    n_markers: int
    suppressed: pd.Series  # bool, True where the cell was a 秘匿 marker (x, …, *, ***): value NaN
    zeros: int = 0  # cells written "-" (該当なし) and read as 0


def type_column(values: pd.Series, name: str, raw: RawTable, lines: pd.Series) -> TypedColumn:
    """Turn a column of text cells into numbers when most cells are numbers.

    e-Stat markers are read by their meaning: ``-`` (該当数字なし) is 0; ``x``/``X``/``…``/``*``/``***`` (秘匿)
    are missing values flagged in :attr:`TypedColumn.suppressed`; blanks are missing. Non-numbers in a numeric
    column are problems, each naming the file row and column. A column that is mostly text is returned unchanged.
    """
    marker = values.isin(MISSING_MARKERS)
    zero = values.isin(ZERO_MARKERS)
    suppressed = values.isin(SUPPRESSED_MARKERS)
    decimal_comma = raw.decimal_comma
    parsed = values.map(lambda v: None if v in MISSING_MARKERS else parse_number(v, decimal_comma=decimal_comma))
    present = ~marker
    none = pd.Series(False, index=values.index)
    only_markers = present.sum() == 0 and bool((zero | suppressed).any())  # a column of "-" and "x": numbers
    if (
        is_text_column(name)
        or (present.sum() == 0 and not only_markers)
        or (present.sum() > 0 and parsed[present].notna().mean() < 0.5)
    ):
        return TypedColumn(values.where(values != "", None), [], 0, none)
    bad = present & parsed.isna()
    problems = [
        f"{raw.where(int(lines[i]), name)}: {values[i]!r} is not a number; write a number, or leave the cell "
        "empty for no value ('-' means 0, 'x' a suppressed value)"
        for i in values.index[bad][:20]
    ]
    if bad.sum() > 20:
        problems.append(f"... and {int(bad.sum()) - 20} more non-numbers in column {name!r}")
    numbers = pd.to_numeric(parsed, errors="coerce").astype("float64")
    numbers[zero] = 0.0
    whole = numbers.dropna()
    n_markers = int((marker & ~zero).sum())
    if len(whole) and (whole == whole.round()).all() and whole.abs().max() < 2**53:
        numbers = numbers.astype("Int64")
    return TypedColumn(numbers, problems, n_markers, suppressed, int(zero.sum()))
