"""The good-practice places of the 地方創生2.0 policy document (「日本地図マッピング」) as a point layer.

The list itself is data, compiled by hand from the document into ``boundaries/good_practices.csv`` (see
``boundaries/good_practices.md`` for the source, how it was compiled and its caveats). Each row names one
initiative, its policy pillar (1)–(5) and the local-government codes of where it is: one municipality, several
municipalities, a whole prefecture (the prefecture's own code ``PP000``, e.g. ``"31000"`` for 鳥取県) or a
wide region (several prefectures or municipalities). :func:`read_good_practices` checks every code against the
N03 boundaries and places each initiative at a representative point inside the union of its areas, so every
point lies inside its municipality (or prefecture, or region).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo._errors import ValidationError
from geo.boundaries import dissolve_prefectures, merge_wards, read_boundaries
from geo.codes import DESIGNATED_CITIES
from geo.crs import JGD2011

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "boundaries" / "good_practices.csv"
"""The project's compiled list (a data file of the repository, next to the package)."""

DEFAULT_BOUNDARIES = "n03-2021-s0010"
"""Pinned N03 national file (2021-01-01, 1 % simplification) the codes are checked against."""

PILLARS: dict[int, str] = {
    1: "安心して働き、暮らせる地方の生活環境の創生",
    2: "稼ぐ力を高め、付加価値創出型の新しい地方経済の創生",
    3: "人や企業の地方分散",
    4: "新時代のインフラ整備とAI・デジタルなどの新技術の徹底活用",
    5: "広域リージョン連携",
}
"""The five policy pillars of the 地方創生2.0 basic concept (short names as headed in the document)."""

SCOPES: tuple[str, ...] = ("municipality", "municipalities", "prefecture", "region")
COLUMNS = [
    "id", "pillar", "pillar_name", "pref_name", "muni_name", "muni_code", "other_codes", "scope", "title",
    "note",
]  # fmt: skip
OUTPUT_COLUMNS = ["id", "pillar", "pillar_name", "pref_code", "pref_name", "muni_code", "muni_name",
                  "other_codes", "scope", "title", "note", "geometry"]  # fmt: skip
_SEP = "・"  # joins several prefecture / municipality names in one cell


def read_good_practices(
    path: str | Path | None = None,
    *,
    boundaries: str | Path | gpd.GeoDataFrame = DEFAULT_BOUNDARIES,
) -> gpd.GeoDataFrame:
    """Read the good-practice list and place each initiative inside its area.

    Parameters
    ----------
    path
        The CSV (UTF-8, columns as in ``boundaries/good_practices.csv``); by default the project's own list.
    boundaries
        Municipal boundaries to check codes and place points with: a source for :func:`geo.read_boundaries`
        (path or pinned source name) or an already read municipality-level GeoDataFrame in the canonical
        schema (wards separate). Designated cities and prefectures are derived from it.

    Returns
    -------
    GeoDataFrame
        One point per initiative (EPSG:6668) with ``id``, ``pillar`` (int 1–5), ``pillar_name``,
        ``pref_code`` (of ``muni_code``), ``pref_name``, ``muni_code``, ``muni_name``, ``other_codes``
        (further codes, ``;``-separated), ``scope`` (``municipality``, ``municipalities``, ``prefecture``,
        ``region``), ``title`` and ``note``. The point is ``representative_point()`` of the union of all
        the row's areas, so it lies inside them.

    Raises
    ------
    ValidationError
        Listing every bad row: unknown or malformed codes, pillar outside 1–5, names that do not match the
        codes, duplicate ids, unknown scope.

    Examples
    --------
    >>> places = read_good_practices()                       # doctest: +SKIP
    >>> places.groupby("pillar").size().to_dict()            # doctest: +SKIP
    {1: 16, 2: 17, 3: 6, 4: 9, 5: 6}
    """
    source = Path(path) if path is not None else DEFAULT_PATH
    table = _read_table(source)
    areas = _area_lookup(boundaries)
    problems: list[str] = []
    rows = []
    for i, rec in enumerate(table.to_dict("records")):
        found = _check_row(rec, areas, line=i + 2)
        if isinstance(found, list):
            problems.extend(found)
        else:
            rows.append(found)
    dupes = table["id"][table["id"].duplicated(keep=False) & (table["id"] != "")]
    problems.extend(
        f"row {i + 2}, column id: {v!r} is used more than once; give each initiative its own id"
        for i, v in dupes.items()
    )
    if problems:
        raise ValidationError(problems, source=source)
    out = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=JGD2011)
    out["pillar"] = out["pillar"].astype("int64")
    for column in ("muni_name", "other_codes", "note"):  # optional cells: missing, not empty strings
        out[column] = out[column].replace("", None)
    return out[OUTPUT_COLUMNS]


def _read_table(source: Path) -> pd.DataFrame:
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such good-practice file")
    # codes must keep their leading zeros: read every cell as text; utf-8-sig also accepts an Excel BOM
    table = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValidationError(
            f"columns {', '.join(missing)} are missing (the file needs {', '.join(COLUMNS)})", source=source
        )
    return table[COLUMNS].apply(lambda s: s.str.strip())


def _area_lookup(boundaries: str | Path | gpd.GeoDataFrame) -> pd.DataFrame:
    """code → pref_code, pref_name, muni_name (None for a prefecture), geometry, for every usable code."""

    if isinstance(boundaries, gpd.GeoDataFrame):
        munis = boundaries
    else:
        munis = read_boundaries(boundaries, level="municipality")
    if munis.crs is None:
        raise ValidationError("the boundaries have no CRS: read them with geo.read_boundaries")
    munis = munis.to_crs(JGD2011) if not munis.crs.equals(JGD2011) else munis
    coded = munis[munis["muni_code"].notna()]
    cities = merge_wards(coded)
    cities = cities[cities["muni_code"].isin(list(DESIGNATED_CITIES))]
    prefs = dissolve_prefectures(coded).assign(muni_code=lambda f: f["pref_code"] + "000", muni_name=None)
    cols = ["muni_code", "pref_code", "pref_name", "muni_name", "geometry"]
    table = pd.concat([coded[cols], cities[cols], prefs[cols]], ignore_index=True)
    return table.set_index("muni_code")


def _check_row(rec: dict[str, str], areas: pd.DataFrame, *, line: int) -> dict[str, object] | list[str]:
    """The output row of one record, or the list of its problems (each naming row and column)."""
    where = f"row {line} ({rec['id'] or 'no id'})"
    problems = []
    if not rec["id"]:
        problems.append(f"{where}, column id: empty; give the initiative an id such as 1-01")
    pillar = int(rec["pillar"]) if rec["pillar"].isdigit() else None
    if pillar not in PILLARS:
        problems.append(f"{where}, column pillar: {rec['pillar']!r} is not a pillar; use 1, 2, 3, 4 or 5")
    elif rec["pillar_name"] != PILLARS[pillar]:
        problems.append(f"{where}, column pillar_name: {rec['pillar_name']!r} is not pillar {pillar}; "
                        f"use {PILLARS[pillar]!r}")  # fmt: skip
    if rec["scope"] not in SCOPES:
        problems.append(f"{where}, column scope: {rec['scope']!r} is not one of {', '.join(SCOPES)}")
    if not rec["title"]:
        problems.append(f"{where}, column title: empty; describe the initiative in a few words")
    codes = [rec["muni_code"], *[c.strip() for c in rec["other_codes"].split(";") if c.strip()]]
    bad = [c for c in codes if not (len(c) == 5 and c.isdigit()) or c not in areas.index]
    if bad:
        problems.append(
            f"{where}, columns muni_code/other_codes: {', '.join(repr(c) for c in bad)} "
            "not a municipality, designated city or prefecture (PP000) code of the N03 2021 boundaries; "
            "use the five-digit code without check digit, e.g. 13202 or 31000"
        )
    if problems:
        return problems
    found = areas.loc[codes]
    pref_names = list(dict.fromkeys(found["pref_name"]))
    if rec["pref_name"] != _SEP.join(pref_names):
        problems.append(f"{where}, column pref_name: {rec['pref_name']!r} does not match the codes; "
                        f"expected {_SEP.join(pref_names)!r}")  # fmt: skip
    is_pref = [c.endswith("000") for c in codes]
    if rec["scope"] == "municipality" and (len(codes) != 1 or is_pref[0]):
        problems.append(f"{where}, column scope: 'municipality' needs exactly one municipal code "
                        "and no other_codes; use 'municipalities', 'prefecture' or 'region'")  # fmt: skip
    if rec["scope"] == "prefecture" and not all(is_pref):
        problems.append(f"{where}, column scope: 'prefecture' rows use prefecture codes (PP000) only")
    if rec["scope"] in ("municipality", "municipalities"):
        expected = _SEP.join(found["muni_name"].dropna())
        if rec["muni_name"] != expected or any(is_pref):
            problems.append(f"{where}, column muni_name: {rec['muni_name']!r} does not match the codes; "
                            f"expected {expected!r} (municipal codes only)")  # fmt: skip
    if problems:
        return problems
    shape = shapely.union_all(found["geometry"].to_numpy()) if len(codes) > 1 else found["geometry"].iloc[0]
    return {
        **rec,
        "pillar": pillar,
        "pref_code": rec["muni_code"][:2],
        "geometry": shapely.Point(shape.representative_point()),
    }
