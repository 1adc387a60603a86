"""Access to hubs beyond "within a radius": two-step floating catchment (2SFCA) and cumulative opportunities.

Coverage says whether someone is near a hub; it does not say how crowded that hub's catchment is. The
two-step floating catchment area method (Luo & Wang 2003) does:

1. for each hub ``j``: ``R_j = S_j / Σ_i P_i f(d_ij)`` over the demand ``i`` within reach — the hub's capacity
   ``S_j`` (staff, counters, floor area; 1 per hub by default) per person of its catchment;
2. for each demand row ``i``: ``A_i = Σ_j R_j f(d_ij)`` over the hubs within reach — the capacity available
   per person there.

``f`` is 1 within the reach in the original method; with a distance decay (Gaussian 2SFCA, Dai 2010) nearer
hubs count more in both steps. Σ_i P_i A_i equals the total capacity of the hubs that reach anyone, so the
population-weighted mean score of an area is its share of the capacity per person. The same arithmetic as
PySAL ``access`` (``Access.two_stage_fca``), checked against it in the tests; here it runs on the sparse
hub × demand table of :mod:`geo.coverage`, so any cost (road minutes) can replace straight-line metres.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from geo._errors import ValidationError
from geo.coverage import CoverageTable
from geo.demand import weight_column
from geo.hub_siting import capacity_values
from geo.hubs import prepare_coverage

Decay = Callable[[np.ndarray], np.ndarray] | str | None
DECAYS = ("gaussian",)


def gaussian_decay(radius: float) -> Callable[[np.ndarray], np.ndarray]:
    """Dai's (2010) Gaussian weight: 1 at the hub, 0 at ``radius``.

    ``f(d) = (exp(-½ (d/r)²) − exp(-½)) / (1 − exp(-½))`` for ``d <= r``.

    Examples
    --------
    >>> f = gaussian_decay(1000.0)
    >>> [round(float(v), 3) for v in f(np.array([0.0, 500.0, 1000.0]))]
    [1.0, 0.701, 0.0]
    """
    edge = np.exp(-0.5)

    def weight(d: np.ndarray) -> np.ndarray:
        return (np.exp(-0.5 * (np.asarray(d, dtype=float) / radius) ** 2) - edge) / (1 - edge)

    return weight


def _decay_fn(decay: Decay, radius: float) -> Callable[[np.ndarray], np.ndarray] | None:
    if decay is None:
        return None
    if callable(decay):
        return decay
    if decay == "gaussian":
        return gaussian_decay(radius)
    raise ValidationError(f"decay={decay!r} is not one of None, {', '.join(map(repr, DECAYS))} or a function of cost")


def two_step_fca(
    table: CoverageTable,
    supply: np.ndarray,
    demand: np.ndarray,
    *,
    decay: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """2SFCA on a hub × demand table: (score per demand row, supply-to-demand ratio per hub).

    Parameters
    ----------
    table
        Pairs within reach, with their cost.
    supply
        ``(n_hubs,)`` capacity of each hub (>= 0).
    demand
        ``(n_demand,)`` weight of each demand row (>= 0).
    decay
        Weight of a pair as a function of its cost (vectorised); None: 1 for every pair within reach.

    Returns
    -------
    (scores, ratios)
        ``scores[i] = Σ_j R_j f(d_ij)``; ``ratios[j] = S_j / Σ_i P_i f(d_ij)``, NaN for a hub whose catchment
        holds no demand (it adds nothing to any score).

    Examples
    --------
    >>> from geo.coverage import coverage_from_cost_matrix
    >>> t = coverage_from_cost_matrix(np.array([[1.0, 1.0, np.inf], [np.inf, 1.0, 1.0]]), 2)
    >>> scores, ratios = two_step_fca(t, np.array([10.0, 20.0]), np.array([100.0, 100.0, 300.0]))
    >>> ratios.tolist(), scores.tolist()
    ([0.05, 0.05], [0.05, 0.1, 0.05])
    """
    s = np.asarray(supply, dtype=float)
    p = np.asarray(demand, dtype=float)
    if len(s) != table.n_hubs or len(p) != table.n_demand:
        raise ValidationError(
            f"{len(s)} supplies / {len(p)} demand weights for a {table.n_hubs} × {table.n_demand} table"
        )
    for what, v in (("supply", s), ("demand", p)):
        if not np.isfinite(v).all() or (v < 0).any():
            raise ValidationError(f"{what} values must be finite and >= 0")
    f = np.ones(table.n_pairs) if decay is None else np.asarray(decay(table.cost), dtype=float)
    if f.shape != (table.n_pairs,) or not np.isfinite(f).all() or (f < 0).any():
        raise ValidationError("the decay function must return one finite weight >= 0 per cost")
    catchment = np.bincount(table.hub, weights=p[table.demand] * f, minlength=table.n_hubs)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(catchment > 0, s / catchment, np.nan)
    scores = np.bincount(table.demand, weights=np.nan_to_num(ratio[table.hub]) * f, minlength=table.n_demand)
    return scores, ratio


def access_2sfca(
    hubs: object,
    demand: object,
    *,
    radius_m: float,
    capacity: str | None = None,
    weight: str | None = None,
    decay: Decay = None,
    crs: object = None,
    pref_code: str | None = None,
    cost: object = None,
) -> pd.Series:
    """Two-step floating catchment access: hub capacity per person available at each demand row.

    Parameters
    ----------
    hubs
        Hubs (points with a CRS).
    demand
        Population points, mesh cells or grid pieces (:func:`geo.grid_demand`), with a CRS.
    radius_m
        Catchment in metres (straight line, geodesic near the edge), or in the unit of ``cost``.
    capacity
        Column of ``hubs`` with each hub's capacity (counters, staff, m² …); default 1 per hub.
    weight
        Demand weight column; default ``population``/``pop_2020``/``人口``, else 1 per row.
    decay
        None (classic 2SFCA: every pair within reach counts fully), ``"gaussian"`` (Dai 2010, 1 at the hub
        falling to 0 at ``radius_m``) or a vectorised function of the cost.
    crs, pref_code, cost
        As in :func:`geo.hub_coverage` (``cost`` may be an origin–destination CSV).

    Returns
    -------
    Series
        One score per demand row, in the demand's order and index, named ``access_2sfca`` (or
        ``access_2sfca_gaussian`` …): capacity per unit of demand weight (per person). 0 where no hub is
        within reach.

    Examples
    --------
    >>> score = geo.access_2sfca(michinoeki, grid, radius_m=20_000)          # doctest: +SKIP
    >>> geo.access_by_area(grid, score)                                       # doctest: +SKIP
    """

    p = prepare_coverage(hubs, demand, radius_m, weight, crs, pref_code, cost)  # type: ignore[arg-type]
    assert p.radius is not None
    supply = capacity_values(hubs, capacity)  # type: ignore[arg-type]
    if supply is None:
        supply = np.ones(p.table.n_hubs)
    fn = _decay_fn(decay, p.radius)
    scores, _ = two_step_fca(p.table, supply, p.weights, decay=fn)
    suffix = "" if decay is None else f"_{decay if isinstance(decay, str) else 'decay'}"
    return pd.Series(scores, index=demand.index, name=f"access_2sfca{suffix}")  # type: ignore[attr-defined]


def cumulative_opportunities(
    hubs: object,
    demand: object,
    *,
    radius_m: float,
    capacity: str | None = None,
    crs: object = None,
    pref_code: str | None = None,
    cost: object = None,
) -> pd.Series:
    """Cumulative opportunities: how many hubs (or how much hub capacity) lie within ``radius_m`` of each row.

    Returns
    -------
    Series
        In the demand's order and index, named ``hubs_within_<radius>`` (count, or Σ ``capacity``).

    Examples
    --------
    >>> geo.cumulative_opportunities(michinoeki, grid, radius_m=30_000).describe()   # doctest: +SKIP
    """

    p = prepare_coverage(hubs, demand, radius_m, None, crs, pref_code, cost)  # type: ignore[arg-type]
    supply = capacity_values(hubs, capacity)  # type: ignore[arg-type]
    pair = np.ones(p.table.n_pairs) if supply is None else supply[p.table.hub]
    values = np.bincount(p.table.demand, weights=pair, minlength=p.table.n_demand)
    name = f"{'capacity' if capacity else 'hubs'}_within_{radius_m:g}"
    out = pd.Series(values, index=demand.index, name=name)  # type: ignore[attr-defined]
    return out if capacity else out.astype(np.int64)


def access_by_area(
    demand: pd.DataFrame,
    scores: pd.Series,
    *,
    weight: str | None = None,
    by: str = "muni_code",
) -> pd.DataFrame:
    """Access scores per area: the demand-weighted mean (and range) of the rows of each area.

    Parameters
    ----------
    demand
        The demand the scores were computed for (same index), holding ``by`` (e.g. grid pieces with
        ``muni_code``).
    scores
        From :func:`access_2sfca` or :func:`cumulative_opportunities`.
    weight
        Demand weight column (default as in :func:`access_2sfca`).
    by
        Area key column.

    Returns
    -------
    DataFrame
        One row per area: ``by`` (and ``muni_name`` when present), ``demand`` (Σ weight), ``score`` (weighted
        mean), ``score_min``, ``score_max``, ``no_access`` (weight with score 0) and ``no_access_share``.
    """

    if by not in demand.columns:
        raise ValidationError(f"demand has no {by!r} column to total by; columns are {list(demand.columns)[:20]}")
    if not scores.index.equals(demand.index):
        raise ValidationError("scores and demand have different indexes: pass the demand the scores came from")
    column = weight_column(demand, weight)
    w = np.ones(len(demand)) if column is None else pd.to_numeric(demand[column], errors="coerce").fillna(0).to_numpy()
    s = scores.to_numpy(dtype=float)
    table = pd.DataFrame(
        {by: demand[by].to_numpy(), "demand": w, "ws": w * s, "s": s, "no_access": np.where(s > 0, 0.0, w)}
    )
    g = table.groupby(by, sort=True)
    out = pd.DataFrame(
        {
            "demand": g["demand"].sum(),
            "score": g["ws"].sum() / g["demand"].sum().replace(0, np.nan),
            "score_min": g["s"].min(),
            "score_max": g["s"].max(),
            "no_access": g["no_access"].sum(),
        }
    )
    out["no_access_share"] = out["no_access"] / out["demand"].replace(0, np.nan)
    out.insert(1, "score_name", str(scores.name))
    if "muni_name" in demand.columns and by == "muni_code":
        out.insert(0, "muni_name", demand.drop_duplicates(by).set_index(by)["muni_name"].reindex(out.index))
    return out.reset_index()
