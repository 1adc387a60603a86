"""Origin–destination cost tables (road or transit travel times from another tool) as hub × demand matrices.

Routing engines (r5py, OSRM, Valhalla, a GTFS travel-time tool, a spreadsheet from a consultant) write one row
per pair: origin id, destination id, cost. :func:`read_cost_matrix` matches both ids to the rows of a hub layer
and a demand layer and returns the sparse hub × demand matrix that :func:`geo.hub_coverage`,
:func:`geo.choose_hubs` and :func:`geo.access_2sfca` take as ``cost=``. A pair missing from the file is
unreachable; an id that matches no row of either layer is an error, never silently dropped.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

from geo._errors import ValidationError

ORIGIN_NAMES = ("origin", "origin_id", "from", "from_id", "o", "起点")
DESTINATION_NAMES = ("destination", "destination_id", "dest", "to", "to_id", "d", "終点")
COST_NAMES = ("cost", "minutes", "travel_time", "time", "distance", "distance_m", "所要時間")
_MAX_LISTED = 10


@dataclass(frozen=True)
class CostMatrix:
    """A hub × demand cost matrix read from an origin–destination table.

    Attributes
    ----------
    matrix
        ``(n_hubs, n_demand)`` scipy sparse array; stored entries are the costs (a stored 0 is a cost of 0),
        absent pairs are unreachable.
    source
        The file (or ``"DataFrame"``).
    hub_id, demand_id
        What the ids were matched against in each layer (``"index"`` or a column name).
    hubs_are_origins
        True when the table's origins are the hubs (it was transposed to hub × demand otherwise).
    pairs
        Number of pairs read.
    unit
        The cost column's name (the unit is the tool's: minutes, metres ...).
    """

    matrix: sparse.csr_array
    source: str
    hub_id: str
    demand_id: str
    hubs_are_origins: bool
    pairs: int
    unit: str

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape  # type: ignore[return-value]


def _read_table(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such cost-matrix file")
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError("the cost matrix is neither UTF-8 nor CP932 text", source=path)
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def _pick(table: pd.DataFrame, given: str | None, names: tuple[str, ...], position: int, what: str) -> str:
    if given is not None:
        if given not in table.columns:
            raise ValidationError(f"{what} column {given!r} not found; columns are {list(table.columns)[:12]}")
        return given
    lower = {str(c).strip().lower(): c for c in table.columns}
    for name in names:
        if name in lower:
            return str(lower[name])
    if len(table.columns) == 3:
        return str(table.columns[position])
    raise ValidationError(
        f"no {what} column (looked for {', '.join(names)}); columns are {list(table.columns)[:12]}: "
        f"name it with {what}='COLUMN'"
    )


def _ids(frame: pd.DataFrame, column: str | None) -> tuple[pd.Index, str]:
    if column is None or column == "index":
        return pd.Index(frame.index.map(str)), "index"
    if column not in frame.columns:
        raise ValidationError(f"id column {column!r} not found; columns are {list(frame.columns)[:20]}")
    return pd.Index(frame[column].astype(str).to_numpy()), column


def _best_ids(frame: pd.DataFrame, given: str | None, wanted: pd.Index) -> tuple[pd.Index, str]:
    """The layer's ids: ``given`` (a column, or ``"index"``), else whichever of the index and the text/integer
    columns matches most of ``wanted``."""
    if given is not None:
        return _ids(frame, given)
    kinds = pd.api.types
    options = [None] + [
        c
        for c in frame.columns
        if c != "geometry"
        and (kinds.is_string_dtype(frame[c]) or kinds.is_integer_dtype(frame[c]) or kinds.is_object_dtype(frame[c]))
    ]
    scored = []
    for c in options:
        ids, label = _ids(frame, c)
        if ids.is_unique:
            scored.append((int(wanted.isin(ids).sum()), label, ids))
    if not scored:
        return _ids(frame, None)
    best = max(scored, key=lambda s: s[0])  # first of equals: the index
    return best[2], best[1]


def _direction(
    source: str,
    columns: tuple[str, str],
    *,
    forward: tuple[np.ndarray, np.ndarray],
    backward: tuple[np.ndarray, np.ndarray],
) -> bool:
    """True when the origins are the hubs: the only reading whose ids all match; refused when both do.

    When neither reading matches every id, the one matching more is taken, and the ids it misses are reported
    as errors by the caller (so a wrong guess is never silent).
    """
    o_col, d_col = columns
    full_f = bool(forward[0].all() and forward[1].all())
    full_b = bool(backward[0].all() and backward[1].all())
    if full_f and full_b:
        raise ValidationError(
            f"the direction of the cost table is ambiguous: the ids in {o_col!r} and {d_col!r} match both the hub "
            "and the demand rows (overlapping ids such as 0-9), so the table could be read either way round and "
            f"give other costs. Say which column holds the hubs, {o_col!r} (origin) or {d_col!r} (destination): "
            "geo.read_cost_matrix(..., hubs_are='origin'|'destination'), on the command line --cost-hubs "
            'origin|destination, in a config cost_hubs = "origin" under [hubs]; or write distinct ids (e.g. '
            "prefix the hubs' ids with 'h')",
            source=source,
        )
    if full_f != full_b:
        return full_f
    return int(forward[0].sum() + forward[1].sum()) > int(backward[0].sum() + backward[1].sum())


def read_cost_matrix(
    table: str | Path | pd.DataFrame,
    *,
    hubs: pd.DataFrame,
    demand: pd.DataFrame,
    hub_id: str | None = None,
    demand_id: str | None = None,
    origin: str | None = None,
    destination: str | None = None,
    cost: str | None = None,
    hubs_are: Literal["auto", "origin", "destination"] = "auto",
) -> CostMatrix:
    """Match an origin–destination cost table to hub and demand rows: the ``(n_hubs, n_demand)`` matrix.

    Parameters
    ----------
    table
        A CSV (UTF-8 or CP932) or DataFrame with one row per pair: origin id, destination id, cost. Columns
        are found by name (``origin``/``from``, ``destination``/``to``, ``cost``/``minutes``/``distance``…) or
        are the three columns in that order. Either side may be the hubs (see ``hubs_are``).
    hubs, demand
        The layers the ids refer to (their row order is the matrix's).
    hub_id, demand_id
        Column holding each layer's ids, or ``"index"``; default: whichever of the index and the columns
        matches most ids of the table (e.g. ``mesh_code`` of mesh cells).
    origin, destination, cost
        Column names in the table, when not found by name.
    hubs_are
        Which column holds the hubs: ``"origin"`` or ``"destination"``. ``"auto"`` takes the only reading whose
        ids all match; when both readings match (hub and demand ids overlap, e.g. both 0–9 as routing tools
        write them) it refuses rather than guess, since a transposed table gives wrong costs without a word.

    Returns
    -------
    CostMatrix
        ``matrix`` (sparse, absent pairs unreachable) and how the ids were matched.

    Raises
    ------
    ValidationError
        Ids that match no hub or no demand row (listed with their table rows), duplicate pairs (listed),
        missing or negative costs, or an ambiguous direction with ``hubs_are="auto"``.

    Examples
    --------
    >>> hubs = pd.DataFrame({"name": ["A", "B"]}, index=["h1", "h2"])
    >>> demand = pd.DataFrame({"mesh_code": ["53394611", "53394612"]})
    >>> od = pd.DataFrame({"origin": ["53394611", "53394612", "53394612"], "destination": ["h1", "h1", "h2"],
    ...                    "minutes": ["4", "9", "3"]})
    >>> cm = read_cost_matrix(od, hubs=hubs, demand=demand)
    >>> cm.matrix.toarray().tolist(), cm.demand_id, cm.hubs_are_origins
    ([[4.0, 9.0], [0.0, 3.0]], 'mesh_code', False)
    """
    source = "DataFrame" if isinstance(table, pd.DataFrame) else str(table)
    frame = table.astype(str) if isinstance(table, pd.DataFrame) else _read_table(Path(table))
    o_col = _pick(frame, origin, ORIGIN_NAMES, 0, "origin")
    d_col = _pick(frame, destination, DESTINATION_NAMES, 1, "destination")
    c_col = _pick(frame, cost, COST_NAMES, 2, "cost")
    o_ids = pd.Index(frame[o_col].astype(str).str.strip())
    d_ids = pd.Index(frame[d_col].astype(str).str.strip())
    values = pd.to_numeric(frame[c_col], errors="coerce").to_numpy(dtype=float)
    problems = []
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    for i in bad[:_MAX_LISTED]:
        problems.append(f"row {i + 2}, column {c_col}: {frame[c_col].iloc[i]!r} is not a cost >= 0")
    if hubs_are not in ("auto", "origin", "destination"):
        raise ValidationError(f"hubs_are={hubs_are!r}: use 'origin', 'destination' or 'auto'")
    h_as_o, h_label_o = _best_ids(hubs, hub_id, o_ids)
    d_as_d, d_label_d = _best_ids(demand, demand_id, d_ids)
    h_as_d, h_label_d = _best_ids(hubs, hub_id, d_ids)
    d_as_o, d_label_o = _best_ids(demand, demand_id, o_ids)
    if hubs_are == "auto":
        hubs_are_origins = _direction(
            source, (o_col, d_col), forward=(o_ids.isin(h_as_o), d_ids.isin(d_as_d)),
            backward=(o_ids.isin(d_as_o), d_ids.isin(h_as_d)),
        )  # fmt: skip
    else:
        hubs_are_origins = hubs_are == "origin"
    if hubs_are_origins:
        h_ids, h_col, h_label, dem_ids, dem_col, dem_label = o_ids, o_col, h_label_o, d_ids, d_col, d_label_d
        h_index, dem_index = h_as_o, d_as_d
    else:
        h_ids, h_col, h_label, dem_ids, dem_col, dem_label = d_ids, d_col, h_label_d, o_ids, o_col, d_label_o
        h_index, dem_index = h_as_d, d_as_o
    h_pos = h_index.get_indexer(h_ids)
    d_pos = dem_index.get_indexer(dem_ids)
    for what, col, pos, ids, label in (
        ("hub", h_col, h_pos, h_ids, h_label),
        ("demand", dem_col, d_pos, dem_ids, dem_label),
    ):
        missing = np.flatnonzero(pos < 0)
        if missing.size:
            unknown = sorted(set(ids[missing]))
            problems.append(
                f"column {col}: {len(unknown)} ids match no {what} row (by {label}), e.g. "
                f"{unknown[:_MAX_LISTED]} on rows {(missing[:_MAX_LISTED] + 2).tolist()}; fix the ids, or name the "
                f"{what} id column with {what}_id='COLUMN'"
            )
    ok = (h_pos >= 0) & (d_pos >= 0)
    key = h_pos[ok].astype(np.int64) * max(len(demand), 1) + d_pos[ok]
    repeated = pd.Series(key).duplicated(keep=False).to_numpy()
    if repeated.any():
        rows = np.flatnonzero(ok)[repeated]
        pairs = sorted({(str(h_ids[i]), str(dem_ids[i])) for i in rows})
        problems.append(
            f"rows {(rows[:_MAX_LISTED] + 2).tolist()}: {len(pairs)} hub–demand pairs are listed more than once, "
            f"e.g. {pairs[:5]} (hub, demand): keep one cost per pair"
        )
    if problems:
        raise ValidationError(problems, source=source)
    matrix = sparse.csr_array((values, (h_pos, d_pos)), shape=(len(hubs), len(demand)))
    matrix.sort_indices()
    return CostMatrix(matrix, source, h_label, dem_label, hubs_are_origins, len(values), c_col)
