"""Prefecture and municipal codes (JIS X 0401 / X 0402, 全国地方公共団体コード): normalise, check, look up.

Codes are always strings: ``"01"``..``"47"`` for prefectures and five digits (without the check digit) for
municipalities and designated-city wards, e.g. ``"13101"``. Inputs arrive as integers that lost their
leading zero (``1101``), six digits with the check digit (``"011002"``), full-width digits (``"１３１０１"``)
or names (``"府中市"``, which needs its prefecture to be unambiguous); :func:`normalize_muni_code` turns each
into the canonical form or raises :class:`~geo.ValidationError` saying why.

The name table (:func:`muni_table`) is compiled from the N03 boundaries of 2021-01-01
(``scripts/build_municipality_table.py``).
"""

from __future__ import annotations

import re
import unicodedata
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


def normalize_muni_codes(values: pd.Series, *, prefs: pd.Series | None = None) -> pd.DataFrame:
    """Vectorised :func:`normalize_muni_code` for a table column.

    Returns a frame on the same index with ``code`` (normalised string or ``<NA>``) and ``problem``
    (why a value could not be normalised, or ``<NA>``): the caller reports those rows with their file row.
    """
    keys = pd.DataFrame({"v": values, "p": prefs if prefs is not None else None}, index=values.index)
    # one call per distinct (value, prefecture), written back in one go (a .loc write per group cost 2.5 s)
    group = keys.groupby(["v", "p"], dropna=False, sort=False).ngroup().to_numpy()
    first_of = pd.Series(np.arange(len(group))).groupby(group).first().to_numpy()
    codes: list[object] = []
    problems: list[object] = []
    for v, p in zip(keys["v"].to_numpy()[first_of], keys["p"].to_numpy()[first_of], strict=True):
        try:
            codes.append(normalize_muni_code(v, pref=p))
            problems.append(pd.NA)
        except ValidationError as exc:
            codes.append(pd.NA)
            problems.append(str(exc))
    code_arr = np.array(codes, dtype=object)[group] if len(group) else np.array([], dtype=object)
    problem_arr = np.array(problems, dtype=object)[group] if len(group) else np.array([], dtype=object)
    return pd.DataFrame({"code": code_arr, "problem": problem_arr}, index=values.index).astype("string")


def city_of(muni_code: str) -> str:
    """The designated city a ward belongs to (``"01101"`` → ``"01100"``); any other code is returned as is."""
    city = muni_code[:3] + "00" if muni_code[:3] + "00" in DESIGNATED_CITIES else None
    for candidate in (city, muni_code[:4] + "0"):
        if candidate and candidate in DESIGNATED_CITIES and candidate != muni_code:
            base = int(candidate)
            if base < int(muni_code) < base + 30:
                return candidate
    return muni_code


def is_ward(muni_code: str) -> bool:
    """True for a ward (区) of a designated city; the 23 special wards of Tokyo are municipalities."""
    return city_of(muni_code) != muni_code
