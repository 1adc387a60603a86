"""Prefecture and municipal codes (JIS X 0401 / X 0402, 全国地方公共団体コード): normalise, check, look up.

Codes are always strings: ``"01"``..``"47"`` for prefectures and five digits (without the check digit) for
municipalities and designated-city wards, e.g. ``"13101"``. Inputs arrive as integers that lost their
leading zero (``1101``), six digits with the check digit (``"011002"``), full-width digits (``"１３１０１"``)
or names (``"府中市"``, which needs its prefecture to be unambiguous); :func:`normalize_muni_code` turns each
into the canonical form or raises :class:`~geo.ValidationError` saying why.

The name table (:func:`muni_table`) is compiled from the N03 boundaries of 2021-01-01
(``scripts/build_municipality_table.py``). The dated code table (:func:`code_table`: every code of 1970-04-01 …
2024-01-01 with the period it was valid, its name, 郡 and designated city) is compiled from the e-Stat 廃置分合
lists (``scripts/build_code_table.py``); :func:`city_of`, :func:`codes_as_of`, :func:`wards_of` and
:func:`designated_cities` read it with an ``as_of`` date. Converting tables between dates: :mod:`geo.crosswalk`.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from geo._errors import ValidationError

PREFECTURES: dict[str, str] = {
    "01": "北海道", "02": "青森県", "03": "岩手県", "04": "宮城県", "05": "秋田県", "06": "山形県",
    "07": "福島県", "08": "茨城県", "09": "栃木県", "10": "群馬県", "11": "埼玉県", "12": "千葉県",
    "13": "東京都", "14": "神奈川県", "15": "新潟県", "16": "富山県", "17": "石川県", "18": "福井県",
    "19": "山梨県", "20": "長野県", "21": "岐阜県", "22": "静岡県", "23": "愛知県", "24": "三重県",
    "25": "滋賀県", "26": "京都府", "27": "大阪府", "28": "兵庫県", "29": "奈良県", "30": "和歌山県",
    "31": "鳥取県", "32": "島根県", "33": "岡山県", "34": "広島県", "35": "山口県", "36": "徳島県",
    "37": "香川県", "38": "愛媛県", "39": "高知県", "40": "福岡県", "41": "佐賀県", "42": "長崎県",
    "43": "熊本県", "44": "大分県", "45": "宮崎県", "46": "鹿児島県", "47": "沖縄県",
}  # fmt: skip
"""JIS X 0401 prefecture code → 都道府県名."""

DESIGNATED_CITIES: dict[str, str] = {
    "01100": "札幌市", "04100": "仙台市", "11100": "さいたま市", "12100": "千葉市", "14100": "横浜市",
    "14130": "川崎市", "14150": "相模原市", "15100": "新潟市", "22100": "静岡市", "22130": "浜松市",
    "23100": "名古屋市", "26100": "京都市", "27100": "大阪市", "27140": "堺市", "28100": "神戸市",
    "33100": "岡山市", "34100": "広島市", "40100": "北九州市", "40130": "福岡市", "43100": "熊本市",
}  # fmt: skip
"""The 20 政令指定都市 (as of 2021): city code → name. Their wards have codes city_code+1 … city_code+29."""

TOKYO_WARDS_CODE = "13100"
"""東京都特別区部: an aggregate row some statistics carry beside the 23 wards (never sum both)."""

_ROMAN_DIGITS = re.compile(r"^\d+$")
_PREF_SHORT = {name.rstrip("都府県") if name != "北海道" else name: code for code, name in PREFECTURES.items()}
_PREF_BY_NAME = {name: code for code, name in PREFECTURES.items()} | _PREF_SHORT


def _clean(value: object) -> str:
    """NFKC-normalise (full-width digits → ASCII), strip spaces and a trailing '.0' from float-read codes."""
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "").replace("\u3000", "")
    if re.fullmatch(r"\d+\.0", text):
        text = text[:-2]
    return text


def _is_missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))  # type: ignore[call-overload]


def check_digit(code5: str) -> int:
    """JIS X 0402 check digit of a five-digit code: ``(11 - Σ dᵢ·wᵢ mod 11) mod 10`` with weights 6,5,4,3,2.

    Examples
    --------
    >>> check_digit("01100"), check_digit("13101")
    (2, 6)
    """
    if not (len(code5) == 5 and code5.isdigit()):
        raise ValueError(f"check_digit needs five digits, got {code5!r}")
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def normalize_pref_code(value: object) -> str:
    """Normalise a prefecture given as code (``1``, ``"01"``, ``"０１"``, 6-digit ``"010006"``) or name.

    Examples
    --------
    >>> normalize_pref_code(1), normalize_pref_code("東京都"), normalize_pref_code("大阪")
    ('01', '13', '27')
    """
    if _is_missing(value):
        raise ValidationError("prefecture is empty: give a code 01..47 or a name such as 東京都")
    text = _clean(value)
    if text in _PREF_BY_NAME:
        return _PREF_BY_NAME[text]
    if text.isdigit():
        if len(text) == 6 and text.endswith("000", 2, 5):  # 6-digit prefecture code with check digit
            if check_digit(text[:5]) != int(text[5]):
                raise ValidationError(f"{value!r}: check digit {text[5]} is wrong (expected {check_digit(text[:5])})")
            text = text[:2]
        elif len(text) == 5 and text.endswith("000"):
            text = text[:2]
        if len(text) <= 2 and 1 <= int(text) <= 47:
            return f"{int(text):02d}"
    raise ValidationError(f"{value!r} is not a prefecture: use a code 01..47 or a name such as 東京都 / 東京")


def pref_name(code: object) -> str:
    """都道府県名 of a prefecture code (any form :func:`normalize_pref_code` accepts)."""
    return PREFECTURES[normalize_pref_code(code)]


@cache
def muni_table() -> pd.DataFrame:
    """All municipalities and wards of 2021-01-01: pref_code, pref_name, muni_code, muni_name, city_code,
    city_name, county. ``city_code`` is the designated city of a ward, else the municipality itself.

    The returned frame is shared: copy it before changing it.
    """
    with resources.files("geo").joinpath("data/municipalities.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


@cache
def _names() -> dict[str, list[tuple[str, str]]]:
    """Every spelling a municipality may be given by → [(muni_code, pref_code), ...]."""
    index: dict[str, list[tuple[str, str]]] = {}

    def add(key: str, code: str, pref: str) -> None:
        index.setdefault(key, []).append((code, pref))

    table = muni_table()
    for r in table.itertuples(index=False):
        spellings = {r.muni_name, f"{r.pref_name}{r.muni_name}"}
        if r.county:
            spellings |= {f"{r.county}{r.muni_name}", f"{r.pref_name}{r.county}{r.muni_name}"}
        for key in spellings:
            add(key, r.muni_code, r.pref_code)
    for code, name in DESIGNATED_CITIES.items():
        add(name, code, code[:2])
        add(f"{PREFECTURES[code[:2]]}{name}", code, code[:2])
    return index


def _from_digits(text: str, original: object) -> str:
    if len(text) == 6:
        expected = check_digit(text[:5])
        if int(text[5]) != expected:
            raise ValidationError(
                f"{original!r}: six digits but the check digit {text[5]} is wrong (expected {expected}); "
                "give the five-digit code without check digit, or fix the code"
            )
        text = text[:5]
    elif len(text) == 4:
        text = "0" + text  # an integer column lost the leading zero (1101 → 01101)
    if len(text) != 5:
        raise ValidationError(f"{original!r}: a municipal code has 5 digits (or 6 with the check digit)")
    if not 1 <= int(text[:2]) <= 47:
        raise ValidationError(f"{original!r}: the first two digits {text[:2]} are not a prefecture code 01..47")
    return text


def normalize_muni_code(value: object, *, pref: object = None) -> str:
    """Normalise one municipal code or name to five digits.

    Parameters
    ----------
    value
        An int (``1101``), a string of 4–6 digits (6 digits include the check digit, which is verified),
        full-width digits, or a name (``"府中市"``, ``"東京都府中市"``, ``"札幌市中央区"``).
    pref
        Prefecture (code or name) to disambiguate a name that exists in several prefectures.

    Examples
    --------
    >>> normalize_muni_code(1101), normalize_muni_code("011002"), normalize_muni_code("府中市", pref="東京都")
    ('01101', '01100', '13206')
    """
    if _is_missing(value) or _clean(value) == "":
        raise ValidationError("the municipal code is empty")
    text = _clean(value)
    if _ROMAN_DIGITS.match(text):
        return _from_digits(text, value)
    candidates = _names().get(text, [])
    if pref is not None and not _is_missing(pref):
        pc = normalize_pref_code(pref)
        candidates = [c for c in candidates if c[1] == pc]
    codes = sorted({c for c, _ in candidates})
    if len(codes) == 1:
        return codes[0]
    if not codes:
        raise ValidationError(f"{value!r} is neither a municipal code nor a known municipality name (2021-01-01)")
    options = ", ".join(f"{c} ({PREFECTURES[c[:2]]})" for c in codes)
    raise ValidationError(f"{value!r} is ambiguous: {options}; give the prefecture too")


def normalize_muni_codes(
    values: pd.Series, *, prefs: pd.Series | None = None, names: pd.Series | None = None
) -> pd.DataFrame:
    """Normalise a whole code column: the one code normaliser every reader uses (tables, N03, GeoPackages).

    Parameters
    ----------
    values
        Codes as read: str, int (``1101``), float (``1100.0``, NaN), full-width digits, 6 digits with check
        digit, or names.
    prefs, names
        The row's own prefecture and municipality name, when the source carries them: each code is
        cross-checked against them (:func:`cross_check_code`). A disagreeing code is repaired only when the
        repair is unambiguous (a 6-digit code that lost its leading zero, valid check digit, name agrees);
        otherwise the row gets a problem — never another town's code.

    Returns
    -------
    DataFrame
        On the same index: ``code`` (5-digit string or ``<NA>``), ``problem`` (why the value was refused, or
        ``<NA>``) and ``note`` (what was repaired, or ``<NA>``). The caller reports problems with its file row.

    Examples
    --------
    >>> out = normalize_muni_codes(pd.Series([12106]), prefs=pd.Series(["北海道"]), names=pd.Series(["岩見沢市"]))
    >>> out.at[0, "code"]
    '01210'
    """
    n_rows = len(values)
    codes, problems, notes = (np.full(n_rows, None, dtype=object) for _ in range(3))
    clean = _canonical_rows(values, prefs, names)
    codes[clean] = values.to_numpy(dtype=object)[clean]
    if clean.all():  # a clean file (every N03 release): nothing more to decide
        return pd.DataFrame({"code": codes, "problem": problems, "note": notes}, index=values.index, dtype="string")
    keys = pd.DataFrame(
        {"v": values, "p": prefs if prefs is not None else None, "n": names if names is not None else None},
        index=values.index,
    )
    n_clean = int(clean.sum())  # each counts below as a five-digit known code (never a lost zero)
    digits = values[~clean].map(lambda v: "" if _is_missing(v) else _clean(v))
    digits = digits[digits.str.fullmatch(r"\d{5,6}")]
    # a column of 6-digit codes (with check digit) read as integers: Hokkaido…Fukushima lost their leading 0
    n_digits = len(digits) + n_clean
    six_digit_column = n_digits > 0 and (digits.str.len() == 6).sum() / n_digits >= 0.5
    five = digits[digits.str.len() == 5]
    n_five = len(five) + n_clean
    if n_five and not six_digit_column:  # all Hokkaido…Fukushima: every code lost its 0, none is a known code
        six_digit_column = sum(map(_lost_zero_only, five)) / n_five >= 0.8
    # one call per distinct (value, prefecture, name); results are filled in by position (setting cells of a
    # pandas frame one group at a time costs more than the whole N03 read)
    rest = np.flatnonzero(~clean)
    for (v, p, n), at in keys.iloc[rest].groupby(["v", "p", "n"], dropna=False, sort=False).indices.items():
        idx = rest[at]
        try:
            try:
                code = normalize_muni_code(v, pref=p if _looks_like_pref(p) else None)
            except ValidationError:
                # 52019 is no code at all (prefecture 52), but 052019 is 05201 with its check digit
                text = "" if _is_missing(v) else _clean(v)
                if not (len(text) == 5 and text.isdigit() and _lost_zero_only(text)):
                    raise
                code, note = cross_check_code(text, v, pref=p, name=n, six_digit_column=six_digit_column)
                if code == text:
                    raise
            else:
                code, note = cross_check_code(code, v, pref=p, name=n, six_digit_column=six_digit_column)
            codes[idx] = code
            if note:
                notes[idx] = note
        except ValidationError as exc:
            problems[idx] = str(exc)
    return pd.DataFrame({"code": codes, "problem": problems, "note": notes}, index=values.index, dtype="string")


def _canonical_rows(values: pd.Series, prefs: pd.Series | None, names: pd.Series | None) -> np.ndarray:
    """Rows whose code is already canonical and checks out: a str of five ASCII digits that is a known code, on
    a row whose own prefecture agrees and which has no name to cross-check.

    The full path gives such a row its own value and no note (the code is valid and known, and the row's prefecture
    agrees, so no repair applies), so it is skipped; every other row goes through it. Clean N03 files are all such
    rows: the check costs 1 ms for 1,906 codes where the full path cost 0.2 s.
    """
    if prefs is None:  # without the row's prefecture a 5-digit code may be a 6-digit one that lost its zero
        return np.zeros(len(values), dtype=bool)
    no_name = np.ones(len(values), dtype=bool) if names is None else names.map(_is_missing).to_numpy(dtype=bool)
    pref_codes = [_pref_or_none(p) for p in prefs.to_numpy(dtype=object)]
    return canonical_muni_codes(values.to_numpy(dtype=object), pref_codes) & no_name


def canonical_muni_codes(codes: Sequence[object], pref_codes: Sequence[object]) -> np.ndarray:
    """True where a code is already canonical and checks out: a ``str`` of five ASCII digits that is a known
    code (:func:`muni_table` or a designated city) and starts with the row's own prefecture code (``"13"``).

    The vectorised test readers run before the per-value normaliser: such a code is what
    :func:`normalize_muni_codes` would return for it, unchanged and without a note. ``codes`` and
    ``pref_codes`` are equally long (object arrays or lists); a missing prefecture is never canonical.
    """
    known = _known_codes()
    return np.fromiter(
        (
            isinstance(v, str) and len(v) == 5 and v.isascii() and v.isdigit() and v in known
            and isinstance(p, str) and v[:2] == p
            for v, p in zip(codes, pref_codes, strict=True)
        ),
        dtype=bool,
        count=len(codes),
    )  # fmt: skip


@cache
def _known_codes() -> frozenset[str]:
    return _table_2021()[0]


@cache
def _table_2021() -> tuple[frozenset[str], dict[str, str]]:
    """(known codes, ward → designated city) of :func:`muni_table`, read with the csv module: a reader's first
    call need not pay for the whole frame or the dated table (pandas, 11 + 12 ms cold); tests compare them."""
    codes, cities = _csv_columns("municipalities.csv", "muni_code", "city_code")
    wards = {code: city for code, city in zip(codes, cities, strict=True) if city and city != code}
    return frozenset(codes) | frozenset(DESIGNATED_CITIES), wards


def _csv_columns(name: str, *columns: str) -> list[tuple[str, ...]]:
    """Columns of a packaged table (``geo/data/<name>``) as tuples of text (empty cells ``""``), in file order."""
    import csv

    with resources.files("geo").joinpath(f"data/{name}").open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows)
        at = [header.index(c) for c in columns]
        body = list(rows)
    return [tuple(row[i] for row in body) for i in at]


@cache
def _muni_name_of() -> dict[str, str]:
    return dict(zip(muni_table()["muni_code"], muni_table()["muni_name"], strict=True)) | DESIGNATED_CITIES


def _lost_zero_only(text: str) -> bool:
    """A 5-digit value that is no known code but, with a leading 0, a 6-digit code with a valid check digit."""
    candidate = "0" + text[:4]
    return text not in _known_codes() and candidate in _known_codes() and check_digit(candidate) == int(text[4])


def _looks_like_pref(value: object) -> bool:
    return _pref_or_none(value) is not None


def _pref_or_none(value: object) -> str | None:
    """The prefecture code of ``value``, or None when it is missing or not a prefecture (cached by text)."""
    if _is_missing(value):
        return None
    return _pref_of_text(str(value))


@cache
def _pref_of_text(text: str) -> str | None:
    if _clean(text) == "":
        return None
    try:
        return normalize_pref_code(text)
    except ValidationError:
        return None


def _name_agrees(code: str, name: object) -> bool | None:
    """Whether ``name`` names ``code`` (True/False), or None when the name is not one we know (cannot tell)."""
    if _is_missing(name):
        return None
    text = _clean(name)
    if not text:
        return None
    known = _names().get(text)
    if known is not None:
        return code in {c for c, _ in known}
    own_name = _muni_name_of().get(code)
    if own_name and (text.endswith(own_name) or (own_name.endswith(text) and text.endswith("区"))):
        return True
    return None


def cross_check_code(
    code: str, original: object, *, pref: object = None, name: object = None, six_digit_column: bool = False
) -> tuple[str, str | None]:
    """Check a normalised code against the row's own prefecture and name; repair only when unambiguous.

    Returns
    -------
    (code, note)
        The code (possibly repaired) and a note saying what was repaired (None when nothing was).

    Raises
    ------
    ValidationError
        The code names another municipality than the row's prefecture/name and no unambiguous repair exists.

    Examples
    --------
    >>> cross_check_code("12106", 12106, pref="北海道", name="岩見沢市")[0]     # 012106 lost its leading 0
    '01210'
    """
    text = _clean(original) if not _is_missing(original) else ""
    lost_zero = None
    if len(text) == 5 and text.isdigit() and check_digit("0" + text[:4]) == int(text[4]):
        lost_zero = "0" + text[:4]  # the 6-digit code 0ddddc read as a number
    known = _known_codes()

    def agrees(candidate: str) -> bool | None:
        votes = []
        pref_code = _pref_or_none(pref)
        if pref_code is not None:
            votes.append(pref_code == candidate[:2])
        name_vote = _name_agrees(candidate, name)
        if name_vote is not None:
            votes.append(name_vote)
        return None if not votes else all(votes)

    verdict = agrees(code) if code in known else None
    repair = lost_zero if lost_zero in known else None
    if repair is not None and repair != code:
        why = f"{text!r} is the 6-digit code 0{text} (check digit {text[4]} valid) without its leading zero"
        if verdict is False and agrees(repair):
            return repair, f"{why}: restored {repair} (the row's prefecture/name agree)"
        # without a disagreeing name, repair only where the whole column is 6-digit codes, or where the row's own
        # name/prefecture confirm it: an unknown 5-digit code may be a former or newer code, never another town
        confirmed = agrees(repair)
        if verdict is None and ((six_digit_column and confirmed is not False) or (code not in known and confirmed)):
            return repair, f"{why}: restored {repair}"
    if verdict is False:
        table = muni_table()
        row = table.loc[table["muni_code"] == code]
        is_name = f"{row['pref_name'].iloc[0]}{row['muni_name'].iloc[0]}" if len(row) else code
        said = "".join(str(v) for v in (pref, name) if not _is_missing(v) and str(v).strip())
        hint = f"; if it lost a leading zero, the code is {lost_zero}" if lost_zero and lost_zero in known else ""
        raise ValidationError(
            f"the code {code} is {is_name} but the row says {said}: the code and the name disagree, so the row is "
            f"not joined{hint}; correct the code (or the name)"
        )
    return code, None


def city_of(muni_code: str, *, as_of: DateLike | None = None) -> str:
    """The designated city a ward belongs to (``"01101"`` → ``"01100"``); any other code is returned as is.

    Membership comes from the dated code table (:func:`code_table`), not from code arithmetic: 浜松市's wards of
    2024 (22138 中央区, 22139 浜名区, 22140 天竜区) belong to 22130 although 22140 is 22130 + 10.

    Parameters
    ----------
    muni_code
        Five-digit code.
    as_of
        Date (``"2021-01-01"``, :class:`datetime.date`) at which to read the membership; None reads the code's
        latest period in the table (a code that was a ward at any time stays a ward).

    Raises
    ------
    ValidationError
        When ``as_of`` lies outside the table's span (:data:`CODE_TABLE_SPAN`).

    Examples
    --------
    >>> city_of("22140"), city_of("22131", as_of="2021-01-01"), city_of("13101")
    ('22130', '22130', '13101')
    """
    if as_of is None:
        known, wards = _table_2021()
        if muni_code in known:  # for every code of 2021 the 2021 table agrees with the latest period (tested)
            return wards.get(muni_code, muni_code)
    return _ward_cities(None if as_of is None else as_date(as_of)).get(muni_code, muni_code)


def is_ward(muni_code: str, *, as_of: DateLike | None = None) -> bool:
    """True for a ward (区) of a designated city; the 23 special wards of Tokyo are municipalities."""
    return city_of(muni_code, as_of=as_of) != muni_code


# ============================================================================= dated codes (1970 - 2024)

DateLike = str | datetime.date | pd.Timestamp
"""A date as ISO text (``"2021-01-01"``), :class:`datetime.date` or :class:`pandas.Timestamp`."""

CODE_TABLE_SPAN: tuple[datetime.date, datetime.date] = (datetime.date(1970, 4, 1), datetime.date(2024, 1, 1))
"""First and last date the dated code table knows (e-Stat lists of 1970-04-01 and 2024-01-01)."""

CODE_TABLE_CREDIT = (
    "出典：政府統計の総合窓口（e-Stat）（https://www.e-stat.go.jp/）市区町村を探す 廃置分合等情報を加工して作成"
    "（jpcity 0.3.0 による整理, MIT）"
)
"""Credit line of the dated code table (e-Stat 政府標準利用規約 2.0; compilation by the R package jpcity)."""


def as_date(value: DateLike, *, what: str = "date") -> datetime.date:
    """Parse a date given as ISO text, :class:`datetime.date` or Timestamp; check it lies in the table's span.

    Raises
    ------
    ValidationError
        When the value is not a date, or lies before 1970-04-01 or after 2024-01-01 (the e-Stat lists' span).
    """
    try:
        day = pd.Timestamp(value).date()
    except (ValueError, TypeError) as exc:
        raise ValidationError(f"{what} {value!r} is not a date: give it as YYYY-MM-DD, e.g. 2021-01-01") from exc
    first, last = CODE_TABLE_SPAN
    if not first <= day <= last:
        raise ValidationError(
            f"{what} {day.isoformat()} is outside the code table's span {first.isoformat()} … {last.isoformat()} "
            "(e-Stat 廃置分合等情報): give a date in the span, or rebuild geo/data/municipal_codes.csv from a "
            "newer e-Stat list with scripts/build_code_table.py"
        )
    return day


@cache
def code_table() -> pd.DataFrame:
    """Every municipal code of 1970-04-01 … 2024-01-01 with the period it was valid, one row per code and name.

    Columns: ``muni_code, valid_from, valid_to`` (ISO dates; ``valid_to`` exclusive, empty while still valid),
    ``pref_code, pref_name, kind`` (``municipality``, ``designated_city``, ``ward``, ``county`` (郡/支庁/振興局)
    or ``aggregate`` (13100 特別区部)), ``muni_name`` (wards as ``浜松市中央区``), ``muni_name_kana, county`` (郡 of a
    town or village), ``city_code, city_name`` (the designated city of a ward). Compiled from the e-Stat lists by
    ``scripts/build_code_table.py``; credit :data:`CODE_TABLE_CREDIT`. The frame is shared: copy it before
    changing it.
    """
    with resources.files("geo").joinpath("data/municipal_codes.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def codes_as_of(as_of: DateLike) -> pd.DataFrame:
    """The rows of :func:`code_table` valid on ``as_of``, indexed by ``muni_code``.

    Examples
    --------
    >>> codes_as_of("2021-01-01").loc["40231", "muni_name"], "40305" in codes_as_of("2021-01-01").index
    ('那珂川市', False)
    """
    return code_table_on(as_date(as_of, what="as_of"))


@cache
def code_table_on(day: datetime.date) -> pd.DataFrame:
    table = code_table()
    iso = day.isoformat()
    valid = (table["valid_from"] <= iso) & ((table["valid_to"] == "") | (table["valid_to"] > iso))
    return table[valid].set_index("muni_code")


def code_history(muni_code: str) -> pd.DataFrame:
    """Every period of one code in :func:`code_table` (empty when the code never existed 1970–2024)."""
    table = code_table()
    return table[table["muni_code"] == muni_code].reset_index(drop=True)


def muni_name_as_of(muni_code: str, *, as_of: DateLike) -> str:
    """Name of a code on a date (``28221`` → 篠山市 in 2018, 丹波篠山市 from 2019-05-01).

    Raises
    ------
    ValidationError
        When the code was not valid on that date (the message gives its periods).
    """
    table = codes_as_of(as_of)
    if muni_code not in table.index:
        raise ValidationError(_not_valid_message(muni_code, as_date(as_of)))
    return str(table.loc[muni_code, "muni_name"])


def designated_cities(*, as_of: DateLike | None = None) -> dict[str, str]:
    """政令指定都市 on a date (default: the table's last date): city code → name."""
    table = codes_as_of(as_of if as_of is not None else CODE_TABLE_SPAN[1])
    cities = table[table["kind"] == "designated_city"]
    return dict(zip(cities.index, cities["muni_name"], strict=True))


def wards_of(city_code: str, *, as_of: DateLike) -> list[str]:
    """Codes of the wards of a designated city on a date (浜松市 22130 in 2024: 22138, 22139, 22140)."""
    table = codes_as_of(as_of)
    return sorted(table.index[(table["kind"] == "ward") & (table["city_code"] == city_code)])


@cache
def _ward_cities(day: datetime.date | None) -> dict[str, str]:
    if day is None:  # each code's latest period (the last row of the latest valid_from), read with the csv module
        latest: dict[str, tuple[str, str, str]] = {}
        for code, start, kind, city in zip(
            *_csv_columns("municipal_codes.csv", "muni_code", "valid_from", "kind", "city_code"), strict=True
        ):
            seen = latest.get(code)
            if seen is None or start >= seen[0]:
                latest[code] = (start, kind, city)
        return {code: city for code, (_, kind, city) in latest.items() if kind == "ward"}
    table = code_table_on(day)
    wards = table[table["kind"] == "ward"]
    return dict(zip(wards.index, wards["city_code"], strict=True))


def _not_valid_message(muni_code: str, day: datetime.date) -> str:
    history = code_history(muni_code)
    if history.empty:
        return f"{muni_code} never existed as a municipal code 1970–2024 (e-Stat lists): check the code"
    periods = "; ".join(
        f"{r.muni_name} {r.valid_from} … {r.valid_to or 'now'}" for r in history.itertuples(index=False)
    )
    return f"{muni_code} was not a valid code on {day.isoformat()} (valid: {periods})"
