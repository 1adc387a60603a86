"""Shared styling for interactive and static maps: classification, palettes, labels and layer styles.

Both renderers (``geo.maps.interactive`` for HTML, ``geo.maps.static`` for PNG/SVG/PDF) take their colours, class
breaks, legend labels and layer looks from here, so two maps of the same data agree.

Classes are **left-closed**: a value belongs to class *i* when ``lower_i <= value < upper_i`` (the last class also
includes its upper bound), and the legend says so with 以上/未満/以下. mapclassify's own bins are right-closed, so
data-driven schemes (quantiles, Fisher-Jenks) are re-expressed with the smallest value of each class as its lower
bound: the partition of the data is exactly mapclassify's, only the wording of the breaks changes (with a diverging
palette, the class holding the midpoint is split there, so decline and growth never share a class).

Examples
--------
>>> from geo.maps.style import classify
>>> c = classify([1, 2, 3, 10, 11, 12, float("nan")], scheme="fisher_jenks", k=2, unit="人")
>>> c.labels
('1人以上 10人未満', '10人以上 12人以下')
>>> c.counts, c.nodata_count
((3, 3), 1)
>>> c.color_of([2, None])
['#ffffcc', '#d9d9d9']
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from geo._errors import ValidationError
from geo.maps._jenks import fisher_jenks_classes

__all__ = [
    "ATTRIBUTION_N03",
    "LAYER_STYLES",
    "NODATA_COLOR",
    "NODATA_LABEL",
    "PALETTES",
    "SCHEMES",
    "SCHEME_NAMES_JA",
    "AreaStyle",
    "Classes",
    "LabelStyle",
    "Palette",
    "PointStyle",
    "PolygonStyle",
    "classify",
    "classify_together",
    "format_value",
    "palette_colors",
]

ATTRIBUTION_N03 = "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成"
NODATA_LABEL = "データなし"
NODATA_COLOR = "#d9d9d9"


def _mapclassify() -> Any:
    try:
        import mapclassify
    except ImportError as exc:  # pragma: no cover - a pinned dependency
        raise ImportError("map classification needs mapclassify: pip install mapclassify") from exc
    return mapclassify


class _Registry(dict[str, Any]):
    """Name -> mapclassify classifier, resolved lazily so importing the styles does not import mapclassify."""

    _CLASS_NAMES: ClassVar[dict[str, str]] = {
        "quantiles": "Quantiles",
        "fisher_jenks": "FisherJenks",
        "equal_interval": "EqualInterval",
        "user_defined": "UserDefined",
    }

    def __init__(self) -> None:
        super().__init__({name: None for name in self._CLASS_NAMES})

    def __getitem__(self, name: str) -> Any:
        if name not in self._CLASS_NAMES:
            raise KeyError(name)
        return getattr(_mapclassify(), self._CLASS_NAMES[name])

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[name] if name in self._CLASS_NAMES else default

    def values(self) -> Any:  # type: ignore[override]
        return [self[name] for name in self]

    def items(self) -> Any:  # type: ignore[override]
        return [(name, self[name]) for name in self]


#: classification scheme name -> mapclassify classifier class
SCHEMES: dict[str, Any] = _Registry()

#: other spellings accepted for a scheme
SCHEME_ALIASES: dict[str, str] = {
    "quantile": "quantiles",
    "natural_breaks": "fisher_jenks",
    "jenks": "fisher_jenks",
    "fisherjenks": "fisher_jenks",
    "equal": "equal_interval",
    "equalinterval": "equal_interval",
    "user": "user_defined",
    "userdefined": "user_defined",
    "breaks": "user_defined",
}

#: Japanese name of each scheme, for legends
SCHEME_NAMES_JA: dict[str, str] = {
    "quantiles": "分位数",
    "fisher_jenks": "自然分類（Fisher-Jenks）",
    "equal_interval": "等間隔",
    "user_defined": "任意区分",
    "single": "単一値",
    "none": "データなし",
}


# ----------------------------------------------------------------------------------------------- palettes
@dataclass(frozen=True)
class Palette:
    """A named colour ramp (ColorBrewer anchors, light to dark for sequential ones)."""

    name: str
    kind: Literal["sequential", "diverging"]
    anchors: tuple[str, ...]

    def colors(self, k: int) -> tuple[str, ...]:
        """``k`` evenly spaced colours along the ramp (the anchors themselves when ``k`` divides evenly)."""
        if k <= 0:
            return ()
        if k == 1:
            return (self.anchors[len(self.anchors) // 2],)
        rgb = np.array([_hex_to_rgb(c) for c in self.anchors], dtype=float)
        pos = np.linspace(0.0, len(self.anchors) - 1, k)
        out = []
        for p in pos:
            i = min(math.floor(p), len(self.anchors) - 2)
            t = p - i
            c = rgb[i] * (1 - t) + rgb[i + 1] * t
            out.append(_rgb_to_hex(c))
        return tuple(out)


def _hex_to_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _rgb_to_hex(rgb: Iterable[float]) -> str:
    return "#" + "".join(f"{round(v):02x}" for v in rgb)


def _seq(name: str, hexes: str) -> Palette:
    return Palette(name, "sequential", tuple("#" + h for h in hexes.split()))


def _div(name: str, hexes: str) -> Palette:
    return Palette(name, "diverging", tuple("#" + h for h in hexes.split()))


#: palette name -> Palette. Sequential ramps for levels, diverging ones (RdBu...) for change around zero.
#: Append ``_r`` to a name to reverse it.
PALETTES: dict[str, Palette] = {
    p.name: p
    for p in (
        _seq("YlOrRd", "ffffcc ffeda0 fed976 feb24c fd8d3c fc4e2a e31a1c bd0026 800026"),
        _seq("YlOrBr", "ffffe5 fff7bc fee391 fec44f fe9929 ec7014 cc4c02 993404 662506"),
        _seq("OrRd", "fff7ec fee8c8 fdd49e fdbb84 fc8d59 ef6548 d7301f b30000 7f0000"),
        _seq("Reds", "fff5f0 fee0d2 fcbba1 fc9272 fb6a4a ef3b2c cb181d a50f15 67000d"),
        _seq("Blues", "f7fbff deebf7 c6dbef 9ecae1 6baed6 4292c6 2171b5 08519c 08306b"),
        _seq("Greens", "f7fcf5 e5f5e0 c7e9c0 a1d99b 74c476 41ab5d 238b45 006d2c 00441b"),
        _seq("Purples", "fcfbfd efedf5 dadaeb bcbddc 9e9ac8 807dba 6a51a3 54278f 3f007d"),
        _seq("Greys", "ffffff f0f0f0 d9d9d9 bdbdbd 969696 737373 525252 252525 000000"),
        _seq("YlGnBu", "ffffd9 edf8b1 c7e9b4 7fcdbb 41b6c4 1d91c0 225ea8 253494 081d58"),
        _seq("PuBuGn", "fff7fb ece2f0 d0d1e6 a6bddb 67a9cf 3690c0 02818a 016c59 014636"),
        _seq("BuPu", "f7fcfd e0ecf4 bfd3e6 9ebcda 8c96c6 8c6bb1 88419d 810f7c 4d004b"),
        _div("RdBu", "67001f b2182b d6604d f4a582 fddbc7 f7f7f7 d1e5f0 92c5de 4393c3 2166ac 053061"),
        _div("RdYlBu", "a50026 d73027 f46d43 fdae61 fee090 ffffbf e0f3f8 abd9e9 74add1 4575b4 313695"),
        _div("RdYlGn", "a50026 d73027 f46d43 fdae61 fee08b ffffbf d9ef8b a6d96a 66bd63 1a9850 006837"),
        _div("BrBG", "543005 8c510a bf812d dfc27d f6e8c3 f5f5f5 c7eae5 80cdc1 35978f 01665e 003c30"),
        _div("PiYG", "8e0152 c51b7d de77ae f1b6da fde0ef f7f7f7 e6f5d0 b8e186 7fbc41 4d9221 276419"),
        _div("PuOr", "7f3b08 b35806 e08214 fdb863 fee0b6 f7f7f7 d8daeb b2abd2 8073ac 542788 2d004b"),
    )
}


def _palette(name: str) -> Palette:
    base, reverse = (name[:-2], True) if name.endswith("_r") else (name, False)
    pal = PALETTES.get(base)
    if pal is None:
        raise ValidationError(
            [f"palette={name!r} is unknown; use one of {', '.join(sorted(PALETTES))} (add _r to reverse)"]
        )
    return Palette(name, pal.kind, pal.anchors[::-1]) if reverse else pal


def palette_colors(name: str, k: int) -> tuple[str, ...]:
    """``k`` hex colours of the palette ``name`` (e.g. ``"YlOrRd"``, ``"RdBu_r"``).

    Example
    -------
    >>> palette_colors("Blues", 3)
    ('#f7fbff', '#6baed6', '#08306b')
    """
    return _palette(name).colors(k)


# ----------------------------------------------------------------------------------------------- numbers
def _auto_decimals(x: float) -> int:
    if x == 0 or float(x).is_integer():
        return 0
    # three significant figures for small numbers, one decimal otherwise
    return int(min(6, max(1, 2 - math.floor(math.log10(abs(x))))))


def format_value(x: Any, *, unit: str | None = None, decimals: int | None = None) -> str:
    """Format a number the Japanese way: thousands separators, the unit right after the number.

    Parameters
    ----------
    x : number or None
        The value; None/NaN gives ``"データなし"``.
    unit : str, optional
        Appended without a space (``"人"``, ``"%"``, ``"人/km²"``).
    decimals : int, optional
        Digits after the point; by default none for whole numbers, one for others (three significant figures
        below 1).

    Example
    -------
    >>> format_value(1234567, unit="人")
    '1,234,567人'
    >>> format_value(35.2149, unit="%")
    '35.2%'
    >>> format_value(float("nan"))
    'データなし'
    """
    if x is None or x is pd.NA:
        return NODATA_LABEL
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return NODATA_LABEL
    if math.isinf(v):
        text = "∞" if v > 0 else "-∞"
    else:
        d = _auto_decimals(v) if decimals is None else decimals
        text = f"{v:,.{d}f}"
        if text.startswith("-") and float(text.replace(",", "")) == 0:
            text = text[1:]
    return f"{text}{unit or ''}"


def _edge_texts(edges: Iterable[float], unit: str | None) -> dict[float, str]:
    """Each class edge formatted at its own readable precision, with more digits where two would look equal."""
    vals = sorted({float(e) for e in edges if np.isfinite(e)})
    integers = all(v.is_integer() for v in vals)
    for extra in range(0, 10):
        texts = {
            v: format_value(v, unit=unit, decimals=0 if integers else min(10, _auto_decimals(v) + extra)) for v in vals
        }
        if len(set(texts.values())) == len(vals):
            return texts
    return {v: format_value(v, unit=unit, decimals=12) for v in vals}


# ----------------------------------------------------------------------------------------------- classes
@dataclass(frozen=True)
class Classes:
    """A fitted classification: breaks, labels, colours and counts, shared by the HTML and static maps.

    Class *i* holds values ``v`` with ``bins[i-1] <= v < bins[i]`` (class 0 starts at ``lower``; the last class
    includes ``bins[-1]``). ``class_of`` applies the same rule to any values, so the breaks fitted on one year can
    colour another year (values outside the range fall in the first or last class).
    """

    scheme: str
    bins: tuple[float, ...]
    lower: float
    labels: tuple[str, ...]
    colors: tuple[str, ...]
    counts: tuple[int, ...]
    nodata_label: str = NODATA_LABEL
    nodata_color: str = NODATA_COLOR
    nodata_count: int = 0
    unit: str | None = None
    palette: str = "YlOrRd"
    notes: tuple[str, ...] = field(default=())
    midpoint: float | None = None
    shared: tuple[str, ...] = ()
    """Names of the maps (columns, windows, years) whose values were fitted together: empty for one map's own."""

    @property
    def k(self) -> int:
        """Number of classes (no-data not counted)."""
        return len(self.bins)

    @property
    def breaks(self) -> tuple[float, ...]:
        """The ``k - 1`` inner boundaries: lower bounds (inclusive) of classes 1..k-1."""
        return self.bins[:-1]

    @property
    def title_ja(self) -> str:
        """Legend subtitle naming the scheme, e.g. ``"分位数・5階級"`` (``"分位数・5階級・共通区分"`` when shared)."""
        return f"{SCHEME_NAMES_JA.get(self.scheme, self.scheme)}・{self.k}階級" + ("・共通区分" if self.shared else "")

    @property
    def shared_note(self) -> str | None:
        """The legend's remark naming the maps that share these classes, or None for one map's own classes."""
        if not self.shared:
            return None
        return f"階級区分は {'・'.join(self.shared)} の値を合わせて設定（{len(self.shared)}図で共通）"

    def recount(self, values: Any) -> Classes:
        """The same classes (breaks, labels, colours) with the counts of ``values``: one map of a shared set.

        Example
        -------
        >>> both = classify_together({"2015": [1, 2, 3], "2020": [4, 5, float("nan")]}, k=2)
        >>> c = both.recount([4, 5, float("nan")])
        >>> c.labels == both.labels, c.counts, c.nodata_count
        (True, (0, 2), 1)
        """
        idx = self.class_of(values)
        counts = tuple(int((idx == i).sum()) for i in range(self.k))
        return replace(self, counts=counts, nodata_count=int((idx < 0).sum()))

    @property
    def legend_subtitle(self) -> str:
        """「分位数・5階級（件数）」, naming the classes the legend leaves out for having no member."""
        empty = 0 if self.shared else sum(1 for n in self.counts if n == 0)
        return f"{self.title_ja}（件数" + (f"、0件の{empty}階級は省略）" if empty else "）")

    def class_of(self, values: Any) -> np.ndarray:
        """Class index of each value (0..k-1), ``-1`` for NaN/None (no data)."""
        v = _as_float(values, what="values")
        out = np.full(v.shape, -1, dtype=np.int64)
        ok = ~np.isnan(v)
        if self.k:
            out[ok] = np.searchsorted(np.asarray(self.bins[:-1], dtype=float), v[ok], side="right")
        return out

    def color_of(self, values: Any) -> list[str]:
        """Hex colour of each value, ``nodata_color`` for NaN/None."""
        idx = self.class_of(values)
        return [self.colors[i] if i >= 0 else self.nodata_color for i in idx]

    def legend_items(
        self, *, include_empty_nodata: bool = False, include_empty: bool = False
    ) -> list[tuple[str, str, int]]:
        """``(colour, label, count)`` per legend row; the no-data row only when some value is missing.

        Classes without members (a user break beyond the data: 「5%以上（0）」) are left out unless
        ``include_empty`` or the classes are shared by a set of maps; the colours of the other classes do not
        change.
        """
        # a shared classification lists every class: the scale is the set's, whatever this one map holds
        full = include_empty or bool(self.shared)
        rows = [r for r in zip(self.colors, self.labels, self.counts, strict=False) if full or r[2] > 0]
        if self.nodata_count or include_empty_nodata:
            rows.append((self.nodata_color, self.nodata_label, self.nodata_count))
        return rows


def _as_float(values: Any, *, what: str) -> np.ndarray:
    if isinstance(values, pd.Series | pd.Index):
        if not (pd.api.types.is_numeric_dtype(values.dtype) or values.dtype == object):
            raise ValidationError([f"{what}: dtype {values.dtype} is not numeric; convert the column to numbers"])
        values = pd.to_numeric(values, errors="coerce") if values.dtype == object else values
        return values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    arr = np.asarray([np.nan if (x is None or x is pd.NA) else x for x in np.ravel(values)], dtype=object)
    try:
        return arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise ValidationError([f"{what}: {exc}; pass numbers (None/NaN for no data)"]) from exc


def _resolve_scheme(scheme: str, breaks: Any) -> str:
    key = str(scheme).lower().replace("-", "_").replace(" ", "_")
    key = SCHEME_ALIASES.get(key, key)
    if key not in SCHEMES:
        raise ValidationError(
            [f"scheme={scheme!r} is unknown; use one of {', '.join(SCHEMES)} (also: {', '.join(SCHEME_ALIASES)})"]
        )
    if breaks is not None and key == "quantiles":
        key = "user_defined"  # breaks given with the default scheme: the user means their breaks
    if breaks is not None and key != "user_defined":
        raise ValidationError([f"breaks= only goes with scheme='user_defined', not {scheme!r}; drop one of them"])
    if breaks is None and key == "user_defined":
        raise ValidationError(["scheme='user_defined' needs breaks=[...] (the class boundaries, increasing)"])
    return key


def _label(lo: float | None, hi: float | None, *, texts: dict[float, str], closed_hi: bool) -> str:
    fmt = lambda x: texts[float(x)]  # noqa: E731
    if lo is None:
        return f"{fmt(hi)}未満"
    if hi is None:
        return f"{fmt(lo)}以上"
    if closed_hi and lo == hi:
        return fmt(lo)
    return f"{fmt(lo)}以上 {fmt(hi)}{'以下' if closed_hi else '未満'}"


def classify(
    values: Any,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Iterable[float] | None = None,
    unit: str | None = None,
    palette: str = "YlOrRd",
    midpoint: float | None = None,
) -> Classes:
    """Classify values for a choropleth: breaks, Japanese labels, colours, counts; NaN is its own class.

    Parameters
    ----------
    values : array-like of numbers
        One value per feature; None/NaN mean no data and are counted in ``nodata_count``.
    scheme : {"quantiles", "fisher_jenks", "equal_interval", "user_defined"}
        mapclassify scheme (aliases such as ``"natural_breaks"`` are accepted). Fisher-Jenks is exact (mapclassify's partition, computed without numba: :mod:`geo.maps._jenks`).
    k : int
        Number of classes; lowered (with a note in ``Classes.notes``) when there are fewer distinct values, and
        quantile classes left empty by ties are merged.
    breaks : sequence of numbers, optional
        User class boundaries, strictly increasing: ``[1000, 5000]`` gives 「1,000未満」「1,000以上 5,000未満」
        「5,000以上」. Implies ``scheme="user_defined"``.
    unit : str, optional
        Unit shown after every number in the labels.
    palette : str
        A name in ``PALETTES`` (``_r`` reverses it).
    midpoint : float, optional
        Centre of a diverging palette (default 0, the no-change value of a rate of change). It is always a class
        boundary, so values below and above it never share a class; classes below take the first half of the
        ramp, classes above the second half, at equal intensity for equal rank from the midpoint (the neutral
        middle colour is never used). Ignored for sequential palettes.

    Returns
    -------
    Classes

    Raises
    ------
    ValidationError
        Unknown scheme or palette, non-numeric or infinite values, ``k < 1``, breaks not increasing.

    Example
    -------
    >>> c = classify([5, 50, 500, 5000], scheme="user_defined", breaks=[10, 1000])
    >>> c.labels, c.counts
    (('10未満', '10以上 1,000未満', '1,000以上'), (1, 2, 1))
    """
    key = _resolve_scheme(scheme, breaks)
    pal = _palette(palette)
    v = _as_float(values, what="values")
    problems = []
    if np.isinf(v).any():
        problems.append(f"values: {int(np.isinf(v).sum())} infinite value(s); replace them with NaN (no data)")
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
        problems.append(f"k={k!r}: the number of classes must be a whole number >= 1")
    if problems:
        raise ValidationError(problems)
    nodata_color = "#fff2cc" if pal.name.startswith("Greys") else NODATA_COLOR
    ok = ~np.isnan(v)
    y = v[ok]
    notes: list[str] = []

    if key == "user_defined":
        b = _as_float(list(breaks or []), what="breaks")
        if len(b) == 0 or np.isnan(b).any() or np.isinf(b).any() or (np.diff(b) <= 0).any():
            raise ValidationError([f"breaks={list(b)}: give finite numbers in strictly increasing order"])
        lower = float(y.min()) if len(y) else float(b[0])
        top = max(float(y.max()), float(b[-1])) if len(y) else float(b[-1])
        if pal.kind == "diverging":
            mid = 0.0 if midpoint is None else float(midpoint)
            if b[0] < mid < b[-1] and mid not in b:
                b = np.sort(np.r_[b, mid])
                notes.append(f"midpoint {mid:g} added as a class boundary of the diverging palette")
        bins = (*map(float, b), top)
        texts = _edge_texts(b, unit)
        labels = [_label(None, b[0], texts=texts, closed_hi=False)]
        labels += [_label(b[i], b[i + 1], texts=texts, closed_hi=False) for i in range(len(b) - 1)]
        labels.append(_label(b[-1], None, texts=texts, closed_hi=False))
        return _finish(key, bins, lower, labels, pal, v, unit, nodata_color, notes, midpoint)

    if len(y) == 0:
        notes.append("no value to classify: every feature is no data")
        return Classes(
            "none",
            (),
            float("nan"),
            (),
            (),
            (),
            NODATA_LABEL,
            nodata_color,
            len(v),
            unit,
            pal.name,
            tuple(notes),
        )
    n_unique = len(np.unique(y))
    if n_unique == 1:
        notes.append("all values are equal: one class")
        lower = float(y[0])
        return _finish(
            "single", (lower,), lower, [format_value(lower, unit=unit)], pal, v, unit, nodata_color, notes, midpoint
        )
    if k > n_unique:
        notes.append(f"k={k} lowered to {n_unique}: only {n_unique} distinct values")
        k = n_unique

    if key == "fisher_jenks":  # mapclassify's partition, without its numba compile in every fresh process
        fitted = SimpleNamespace(yb=fisher_jenks_classes(y, k))
    else:
        with warnings.catch_warnings():
            # k is already at most the number of distinct values; mapclassify still warns when quantiles tie
            warnings.filterwarnings("ignore", message="Not enough unique values", category=UserWarning)
            fitted = SCHEMES[key](y, k=k)
    lower, upper = float(y.min()), float(y.max())

    if key == "equal_interval":
        edges = [float(e) for e in fitted.bins[:-1]]
        if pal.kind == "diverging":
            mid = 0.0 if midpoint is None else float(midpoint)
            if lower < mid < upper and mid not in edges:
                edges = sorted([*edges, mid])
                notes.append(f"midpoint {mid:g} added as a class boundary of the diverging palette")
        bins = (*edges, upper)
        texts = _edge_texts([lower, *edges, upper], unit)
        lows = [lower, *edges]
        labels = [_label(lows[i], bins[i], texts=texts, closed_hi=i == len(bins) - 1) for i in range(len(bins))]
        return _finish(key, bins, lower, labels, pal, v, unit, nodata_color, notes, midpoint)

    # data-driven schemes: each class starts at its smallest member (exactly mapclassify's partition)
    yb = np.asarray(fitted.yb)
    used = np.unique(yb)
    if len(used) < k:
        notes.append(f"{k - len(used)} empty class(es) from tied values merged: {len(used)} classes")
    lows = [float(y[yb == c].min()) for c in used]
    if pal.kind == "diverging":
        mid = 0.0 if midpoint is None else float(midpoint)
        if lows[0] < mid <= upper and mid not in lows:
            lows = sorted([*lows, mid])  # split the class holding both sides of the midpoint
            notes.append(f"midpoint {mid:g} added as a class boundary of the diverging palette")
    bins = (*lows[1:], upper)
    texts = _edge_texts([*lows, upper], unit)
    labels = [_label(lows[i], bins[i], texts=texts, closed_hi=i == len(bins) - 1) for i in range(len(bins))]
    return _finish(key, bins, lower, labels, pal, v, unit, nodata_color, notes, midpoint)


def classify_together(values: Any, **options: Any) -> Classes:
    """One classification fitted on the values of a set of maps (years, windows, scenarios), to share.

    Parameters
    ----------
    values : mapping of str to array-like
        Name of each map (shown in the legend's remark) → its values; NaN is no data.
    **options
        As :func:`classify` (``scheme``, ``k``, ``breaks``, ``unit``, ``palette``, ``midpoint``).

    Returns
    -------
    Classes
        Fitted on all values together, with ``shared`` naming the maps; draw each map with
        ``classes.recount(its_values)`` (or ``geo.choropleth(..., classes=classes)``), so a colour means the same
        values on every map of the set.

    Example
    -------
    >>> c = classify_together({"2015年": [1, 2, 3], "2020年": [10, 11, 12]}, scheme="fisher_jenks", k=2, unit="人")
    >>> c.labels, c.title_ja
    (('1人以上 10人未満', '10人以上 12人以下'), '自然分類（Fisher-Jenks）・2階級・共通区分')
    >>> c.shared_note
    '階級区分は 2015年・2020年 の値を合わせて設定（2図で共通）'
    """
    if not values:
        raise ValidationError(["classify_together: give the values of at least one map"])
    arrays = [_as_float(v, what=f"values of {name!r}") for name, v in values.items()]
    fitted = classify(np.concatenate(arrays), **options)
    return replace(fitted, shared=tuple(str(name) for name in values))


def _finish(
    scheme: str,
    bins: tuple[float, ...],
    lower: float,
    labels: list[str],
    pal: Palette,
    v: np.ndarray,
    unit: str | None,
    nodata_color: str,
    notes: list[str],
    midpoint: float | None = None,
) -> Classes:
    mid = None if pal.kind != "diverging" else (0.0 if midpoint is None else float(midpoint))
    colors = pal.colors(len(bins)) if mid is None else _diverging_colors(pal, bins, lower, mid)
    proto = Classes(
        scheme,
        tuple(float(b) for b in bins),
        float(lower),
        tuple(labels),
        colors,
        (0,) * len(bins),
        NODATA_LABEL,
        nodata_color,
        0,
        unit,
        pal.name,
        tuple(notes),
        mid,
    )
    idx = proto.class_of(v)
    counts = tuple(int((idx == i).sum()) for i in range(len(bins)))
    return Classes(
        scheme,
        proto.bins,
        proto.lower,
        proto.labels,
        colors,
        counts,
        NODATA_LABEL,
        nodata_color,
        int((idx < 0).sum()),
        unit,
        pal.name,
        tuple(notes),
        mid,
    )


def _diverging_colors(pal: Palette, bins: tuple[float, ...], lower: float, mid: float) -> tuple[str, ...]:
    """Colours of classes around ``mid``: the first half of the ramp below it, the second half above it.

    The class ``j`` steps away from the midpoint on either side gets the same intensity, so −2 % and +2 % look
    equally strong; a class spanning the midpoint (only possible with one class) gets the neutral middle colour.
    """
    lows = (lower, *bins[:-1])
    below = [i for i in range(len(bins)) if bins[i] <= mid and lows[i] < mid]
    above = [i for i in range(len(bins)) if lows[i] >= mid]
    centre = len(pal.anchors) // 2
    steps = max(len(below), len(above), 1)
    # from next to the neutral centre outwards to the darkest anchor, ``steps`` colours
    low_ramp = Palette(pal.name, "sequential", pal.anchors[:centre][::-1]).colors(max(steps, 2))
    high_ramp = Palette(pal.name, "sequential", pal.anchors[centre + 1 :]).colors(max(steps, 2))
    if steps == 1:
        low_ramp, high_ramp = low_ramp[1:], high_ramp[1:]  # one class a side: a clear, not the palest, colour
    colors = [pal.anchors[centre]] * len(bins)
    for j, i in enumerate(reversed(below)):  # the class just below the midpoint first
        colors[i] = low_ramp[j]
    for j, i in enumerate(above):
        colors[i] = high_ramp[j]
    return tuple(colors)


# ----------------------------------------------------------------------------------------------- layer styles
@dataclass(frozen=True)
class AreaStyle:
    """Outline of the choropleth areas and the look of a highlighted one."""

    edge_color: str = "#ffffff"
    edge_width: float = 0.3  # px in HTML, pt in static maps
    fill_opacity: float = 0.85
    highlight_color: str = "#222222"
    highlight_width: float = 2.0


@dataclass(frozen=True)
class PointStyle:
    """Markers for point layers (transport-gap points, hubs)."""

    color: str = "#333333"
    fill_color: str = "#ff7f00"
    radius: float = 4.0  # px in HTML; static maps convert px to pt (×0.75) like line widths
    weight: float = 1.0
    fill_opacity: float = 0.9
    marker: str = "o"  # matplotlib marker: "o" circle, "s" square, "^" triangle (HTML draws the same three)


@dataclass(frozen=True)
class PolygonStyle:
    """Fills and outlines for polygon layers (hub buffers, region outlines)."""

    color: str = "#08519c"
    weight: float = 1.5
    fill_color: str | None = None  # None: outline only
    fill_opacity: float = 0.0
    dash: str | None = None  # SVG dash array such as "6 4"; static maps map it to a dashed line
    # static maps: the features merged and hatched with this pattern (matplotlib, e.g. "////") instead of filled,
    # so a dense layer over a choropleth leaves the colours beneath readable; HTML keeps the light fill
    hatch: str | None = None


@dataclass(frozen=True)
class LabelStyle:
    """Text labels (area or region names)."""

    size: float = 11.0  # px in HTML, pt in static maps
    color: str = "#111111"
    halo_color: str = "#ffffff"
    halo_width: float = 2.5


#: role -> default style, shared by both renderers
LAYER_STYLES: dict[str, AreaStyle | PointStyle | PolygonStyle | LabelStyle] = {
    "areas": AreaStyle(),
    "gap_points": PointStyle(color="#7f0000", fill_color="#e31a1c", radius=3.5, weight=0.8),
    "hubs": PointStyle(color="#08306b", fill_color="#2171b5", radius=6.0, weight=1.5, marker="s"),
    "hub_buffers": PolygonStyle(color="#2171b5", weight=1.2, fill_color="#6baed6", fill_opacity=0.15, dash="6 4"),
    "region_outline": PolygonStyle(color="#252525", weight=2.5),
    "gap_cells": PolygonStyle(color="#a50f15", weight=0.8, fill_color="#e31a1c", fill_opacity=0.2, hatch="////"),
    "good_practices": PointStyle(color="#00441b", fill_color="#41ab5d", radius=5.0, weight=1.2, marker="^"),
    # the five pillars of the 地方創生2.0 basic concept, one colour each (ColorBrewer Dark2)
    **{
        f"good_practices_{pillar}": PointStyle(color="#252525", fill_color=colour, radius=5.5, weight=1.0, marker="^")
        for pillar, colour in zip(range(1, 6), ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e"), strict=True)
    },
    "points": PointStyle(),
    "polygons": PolygonStyle(color="#54278f", weight=1.2, fill_color="#9e9ac8", fill_opacity=0.2),
    "labels": LabelStyle(),
}
