"""Write and read the outputs of a run: GeoPackage (default) or PostGIS layers, deterministic CSV files, and
an output folder that appears only when the run succeeds.

Nothing is ever half-written: a GeoPackage or CSV is written to a temporary file in the same folder and moved
into place with ``os.replace``; a PostGIS write replaces its tables in one transaction; :func:`staging_dir`
swaps a whole output folder in at the end. Running the same inputs twice gives byte-identical CSV files and
GeoPackages (the GeoPackage timestamps are pinned, see :data:`GPKG_TIMESTAMP`).

CSV choice: UTF-8 **with** a byte-order mark. Excel in Japan opens a UTF-8 CSV without BOM as CP932 and shows
mojibake; with the BOM it opens correctly, and QGIS, pandas (``encoding="utf-8"`` or ``"utf-8-sig"``) and
LibreOffice read it too. Python's ``csv`` module users should open the file with ``encoding="utf-8-sig"``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo._errors import CRSError, ValidationError
from geo._io import atomic_path

Layers = Mapping[str, gpd.GeoDataFrame | pd.DataFrame]

_INFO_KEY = "GEO_LAYER_INFO"  # GeoPackage layer metadata key (gpkg_metadata; QGIS shows it under Metadata)


@dataclass(frozen=True)
class LayerInfo:
    """What a later command needs to map a layer correctly: its title, the credits and units of its columns.

    Written into the GeoPackage with the layer (:func:`write_layers`) and read back by :func:`read_layer_info`,
    so ``geo map OUT.gpkg --layer NAME`` shows the right legend title, unit and every input's credit.

    Attributes
    ----------
    title : str
        The layer's title (e.g. 交通空白（駅800m）).
    credits : tuple of str
        Credit lines of every input the layer was computed from (N03, e-Stat, …), each once.
    units : dict
        Column → unit (``"%"``, ``"人"``, ``"m"``).
    column_titles : dict
        Column → human title (``gap_share_pct`` → 交通空白人口の割合).
    column : str
        The column a map of this layer shows by default.
    description : str
        What the layer holds and how it was computed (method, distances, CRS); with the title it is written
        into ``gpkg_contents`` (``identifier``, ``description``), where QGIS shows it.
    """

    title: str = ""
    credits: tuple[str, ...] = ()
    units: Mapping[str, str] = field(default_factory=dict)
    column_titles: Mapping[str, str] = field(default_factory=dict)
    column: str = ""
    description: str = ""

    def to_json(self) -> str:
        data = {"title": self.title, "credits": list(self.credits), "units": dict(self.units),
                "column_titles": dict(self.column_titles), "column": self.column,
                "description": self.description}  # fmt: skip
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LayerInfo:
        data = json.loads(text)
        return cls(data.get("title", ""), tuple(data.get("credits", ())), data.get("units", {}),
                   data.get("column_titles", {}), data.get("column", ""), data.get("description", ""))  # fmt: skip

    def contents_description(self) -> str:
        """The ``gpkg_contents.description``: the description, then the credits (QGIS shows it as the abstract)."""
        credits = "出典: " + " / ".join(self.credits) if self.credits else ""
        return "\n".join(part for part in (self.description, credits) if part)


@dataclass(frozen=True)
class Output:
    """One layer or table a question writes: the frame and its :class:`LayerInfo` (decided once, by the result)."""

    frame: gpd.GeoDataFrame | pd.DataFrame
    info: LayerInfo

    @property
    def spatial(self) -> bool:
        return isinstance(self.frame, gpd.GeoDataFrame)


def check_output_dir(path: str | os.PathLike[str]) -> Path:
    """Refuse, before any work, an output folder that is a file, lies under a file, or cannot be written.

    Raises
    ------
    ValidationError
        Naming the file in the way, or the folder that cannot be written, and the fix.
    """
    out = Path(path)
    for folder in [out, *out.parents]:
        if not folder.exists():
            continue
        if not folder.is_dir():
            raise ValidationError(f"{out}: {folder} is a file, not a folder: choose another output folder (-o)")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ValidationError(f"{out}: cannot write in {folder} (permission denied): choose a folder you can write")
        break
    return out


MARKERS = ("report.json", "run.json")
"""Files every output folder of the toolkit holds: a folder with neither is the user's, never replaced."""


def check_output_folder(path: str | os.PathLike[str]) -> Path:
    """:func:`check_output_dir`, and refuse to replace a non-empty folder this toolkit did not write.

    An output folder is replaced whole when a question is asked again (:func:`staging_dir`); a folder holding
    other files (``-o outputs``, ``-o ~/Desktop``) would be lost with it.

    Raises
    ------
    ValidationError
        Naming the folder and the fix (a new folder name).
    """
    out = check_output_dir(path)
    if out.is_dir() and any(out.iterdir()) and not any((out / m).exists() for m in MARKERS):
        raise ValidationError(
            f"{out} holds files this toolkit did not write, and an output folder is replaced whole: choose a new "
            f"folder for -o (e.g. {out / 'result'})"
        )
    return out


def read_layer_info(path: str | os.PathLike[str], layer: str | None = None) -> dict[str, LayerInfo]:
    """The :class:`LayerInfo` of each layer of a GeoPackage (an empty one for layers written elsewhere)."""
    names = [str(n) for n, _ in pyogrio.list_layers(path)] if layer is None else [layer]
    out = {}
    for name in names:
        meta = pyogrio.read_info(path, layer=name).get("layer_metadata") or {}
        out[name] = LayerInfo.from_json(meta[_INFO_KEY]) if _INFO_KEY in meta else LayerInfo()
    return out


GPKG_TIMESTAMP = "2000-01-01T00:00:00.000Z"
"""The ``last_change`` GDAL records in a GeoPackage, pinned so two identical runs give identical files."""

CSV_FLOAT_FORMAT = "%.12g"
"""12 significant digits: exact for any count or code-like number, and hides last-bit floating-point noise
(summation order) that would otherwise make two runs differ byte for byte."""

CSV_ENCODING = "utf-8-sig"
_POSTGRES = re.compile(r"^postgres(ql)?://", re.IGNORECASE)
_PG_MAX_NAME = 63  # PostgreSQL truncates longer identifiers silently: refuse them instead


def is_database_url(target: str | os.PathLike[str]) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL, False for a file path."""
    return isinstance(target, str) and bool(_POSTGRES.match(target))


def write_layers(
    layers: Layers,
    target: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    schema: str = "public",
    info: Mapping[str, LayerInfo] | None = None,
) -> str | Path:
    """Write named layers to a GeoPackage file or a PostGIS database, all or nothing.

    Parameters
    ----------
    layers
        Layer name → GeoDataFrame (with a CRS) or DataFrame (a table without geometry). Written in this order.
    target
        A ``.gpkg`` path, or a ``postgresql://user@host:port/db`` URL (one table per layer in ``schema``).
    overwrite
        Replace an existing GeoPackage / existing tables of the same names. Without it an existing target
        is an error and nothing is written.
    schema
        PostGIS only: the schema the tables go to (created if missing).
    info
        Layer name → :class:`LayerInfo` (title, credits, units), stored in the GeoPackage's layer metadata.

    Returns
    -------
    str or Path
        The GeoPackage path, or the URL.

    Raises
    ------
    FileExistsError
        The GeoPackage or a table exists and ``overwrite`` is False.
    CRSError
        A GeoDataFrame has no CRS (or, for PostGIS, one without an EPSG code).
    ValidationError
        No layers, a bad layer name or a target that is neither ``.gpkg`` nor a PostgreSQL URL.

    Examples
    --------
    >>> write_layers({"areas": areas, "gaps": gaps}, "outputs/run.gpkg", overwrite=True)      # doctest: +SKIP
    >>> write_layers({"areas": areas}, "postgresql://postgres@127.0.0.1:54329/geo_test")     # doctest: +SKIP
    """
    _check_layers(layers, postgis=is_database_url(target))
    if is_database_url(target):
        _write_postgis(layers, str(target), overwrite=overwrite, schema=schema)
        return str(target)
    path = _gpkg_path(target)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists: pass overwrite=True (or --overwrite) to replace it")
    # GDAL stamps each layer with the current time; pin it so identical runs give identical files
    with atomic_path(path) as tmp, _gdal_option("OGR_CURRENT_DATE", GPKG_TIMESTAMP):
        for name, frame in layers.items():
            layer_info = info.get(name) if info else None
            meta = {_INFO_KEY: layer_info.to_json()} if layer_info else None
            # title and description in gpkg_contents too, so QGIS shows them (GDAL layer creation options)
            options = (
                {"IDENTIFIER": layer_info.title or name, "DESCRIPTION": layer_info.contents_description()}
                if layer_info else {}
            )  # fmt: skip
            pyogrio.write_dataframe(
                _for_file(frame), tmp, layer=name, driver="GPKG", layer_metadata=meta, layer_options=options
            )
    return path


def read_layers(
    target: str | os.PathLike[str],
    names: Sequence[str] | None = None,
    *,
    schema: str = "public",
) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    """Read layers written by :func:`write_layers` back into frames.

    Parameters
    ----------
    target
        A GeoPackage path or a ``postgresql://`` URL.
    names
        Layers to read (default: all, in the file's order / alphabetically for PostGIS).
    schema
        PostGIS only: the schema to read from.

    Returns
    -------
    dict
        Layer name → GeoDataFrame (layers with geometry, CRS restored) or DataFrame. Codes come back as text.
        A GeoPackage integer column that holds missing values comes back as float (a GDAL reader limit), and
        a layer that mixed Polygon and MultiPolygon comes back as MultiPolygon (GDAL writes one geometry type
        per GeoPackage layer so every GIS reads it); PostGIS keeps each geometry's own type.

    Examples
    --------
    >>> layers = read_layers("outputs/run.gpkg", ["areas"])       # doctest: +SKIP
    >>> layers["areas"].crs.to_epsg()                              # doctest: +SKIP
    6668
    """
    if isinstance(names, str):
        names = [names]
    if is_database_url(target):
        return _read_postgis(str(target), names, schema=schema)
    path = Path(target)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such GeoPackage")
    available = {str(name): geom for name, geom in pyogrio.list_layers(path)}
    wanted = list(available) if names is None else list(names)
    _check_names(wanted, available, where=str(path))
    out: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {}
    for name in wanted:
        spatial = available[name] is not None
        out[name] = pyogrio.read_dataframe(path, layer=name, read_geometry=spatial)
    return out


def write_csv(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    geometry: Literal["drop", "wkt", "points"] = "drop",
) -> Path:
    """Write a table as a deterministic CSV: same data, same bytes.

    Columns in the frame's order, no index, floats as ``%.12g``, missing values empty, dates ISO 8601,
    ``\\n`` line endings, UTF-8 with BOM (so Excel in Japan opens it; see the module notes). Written to a
    temporary file in the same folder and moved into place.

    Parameters
    ----------
    frame
        The table. Codes should be strings already (they are written as they are, leading zeros kept).
    path
        The ``.csv`` file to write (its folder must exist).
    geometry
        For a GeoDataFrame: ``"drop"`` the geometry column (default: CSV is for tables), write it as
        ``"wkt"`` (coordinates rounded to 7 decimals, about 1 cm), or ``"points"``: WKT when every row is a
        point, else dropped (polygons make unreadable CSV cells; the GeoPackage carries them).

    This is the one CSV writer of the toolkit: runs, subcommands and the API all write tables through it.

    Examples
    --------
    >>> write_csv(report, "outputs/run/coverage.csv")       # doctest: +SKIP
    """
    if geometry not in ("drop", "wkt", "points"):
        raise ValidationError(f"geometry={geometry!r}: use 'drop', 'wkt' or 'points'")
    table = pd.DataFrame(frame)  # a plain frame; the caller's object is not changed
    if isinstance(frame, gpd.GeoDataFrame):
        name = frame.geometry.name
        geoms = frame.geometry.to_numpy()
        if geometry == "points":
            geometry = "wkt" if len(geoms) and (shapely.get_type_id(geoms) == 0).all() else "drop"
        if geometry == "wkt":
            wkt = shapely.to_wkt(frame.geometry.to_numpy(), rounding_precision=7, trim=True)
            table = table.assign(**{name: wkt})
        else:
            table = table.drop(columns=[name])
    table = protect_formulas(table)
    text = table.to_csv(
        index=False,
        lineterminator="\n",
        float_format=CSV_FLOAT_FORMAT,
        na_rep="",
        date_format="%Y-%m-%dT%H:%M:%S",
    )
    target = Path(path)
    with atomic_path(target) as tmp:
        Path(tmp).write_bytes(text.encode(CSV_ENCODING))
    return target


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def protect_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose text cells cannot run as spreadsheet formulas (CSV injection, OWASP).

    A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading ``'``, which
    Excel and LibreOffice show as text and do not evaluate; numbers (``-12.5``) and number columns are left
    alone. Used by the one CSV writer, :func:`write_csv`.

    Examples
    --------
    >>> protect_formulas(pd.DataFrame({"name": ["=1+2", "-", "甲府市", "-3"]}))["name"].tolist()
    ["'=1+2", "'-", '甲府市', '-3']
    """
    out = table.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        risky = values.map(
            lambda v: isinstance(v, str) and v.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(v)
        ).astype(bool)
        if risky.any():
            out[column] = [("'" + v) if r else v for v, r in zip(values.astype(object), risky, strict=True)]
    return out


@contextlib.contextmanager
def staging_dir(final_dir: str | os.PathLike[str]) -> Iterator[Path]:
    """Build an output folder in a temporary folder and put it in place only if the block succeeds.

    The temporary folder is created next to ``final_dir`` (same file system, so the swap is a rename). On
    success an existing ``final_dir`` is renamed away, the new folder renamed in, and the old one deleted; if
    the block raises, the temporary folder is removed and ``final_dir`` is left as it was.

    Examples
    --------
    >>> with staging_dir("outputs/demo") as out:               # doctest: +SKIP
    ...     write_csv(table, out / "table.csv")
    """
    final = Path(final_dir)
    if final.exists() and not final.is_dir():
        raise FileExistsError(f"{final} exists and is not a folder")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.{uuid.uuid4().hex[:12]}.staging"
    tmp.mkdir()  # plain mkdir (not mkdtemp) so the folder gets the usual permissions
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = final.parent / f".{final.name}.{uuid.uuid4().hex[:12]}.old" if final.exists() else None
    if old is not None:
        os.rename(final, old)
    try:
        os.rename(tmp, final)
    except BaseException:
        if old is not None:
            os.rename(old, final)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_outputs(
    outputs: Mapping[str, Output],
    folder: str | os.PathLike[str],
    *,
    gpkg: bool = True,
    csv: bool = True,
    parquet: bool = False,
    db: str | None = None,
    gpkg_name: str = "layers.gpkg",
) -> list[Path]:
    """The one writer of a question's outputs: every door (``geo run``, each subcommand, the API) uses it.

    Spatial outputs go into one GeoPackage (``folder/layers.gpkg``, title, description, units and credits of
    each layer with it), every output is also a CSV (``folder/<name>.csv``, UTF-8 with BOM; point layers keep
    their coordinates as WKT, polygons are left to the GeoPackage), spatial ones optionally GeoParquet
    (``folder/parquet/<name>.parquet``) and PostGIS tables. The caller gives a staging folder
    (:func:`staging_dir`) so nothing is half-written.

    Returns
    -------
    list of Path
        The files written, in order.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    spatial = {name: out.frame for name, out in outputs.items() if out.spatial}
    info = {name: out.info for name, out in outputs.items()}
    if gpkg and spatial:
        files.append(Path(write_layers(spatial, folder / gpkg_name, overwrite=True, info=info)))
    if parquet and spatial:
        files += write_geoparquet(spatial, folder / "parquet", overwrite=True)
    if csv:
        for name, out in outputs.items():
            files.append(write_csv(out.frame, folder / f"{name}.csv", geometry="points"))
    if db and spatial:
        write_layers(spatial, db, overwrite=True)
    return files


# --- helpers ---------------------------------------------------------------------------------------------


def _check_layers(layers: Layers, *, postgis: bool) -> None:
    if not isinstance(layers, Mapping) or not layers:
        raise ValidationError("no layers to write: give a dict of layer name → GeoDataFrame or DataFrame")
    problems = []
    for name, frame in layers.items():
        if not isinstance(name, str) or not name.strip():
            problems.append(f"layer name {name!r}: use a non-empty text name")
        elif postgis and len(name.encode()) > _PG_MAX_NAME:
            problems.append(f"layer {name!r}: PostgreSQL table names are at most {_PG_MAX_NAME} bytes")
        if not isinstance(frame, pd.DataFrame):
            problems.append(f"layer {name!r}: a {type(frame).__name__}, not a GeoDataFrame or DataFrame")
        elif isinstance(frame, gpd.GeoDataFrame) and frame.active_geometry_name is not None and frame.crs is None:
            raise CRSError(f"layer {name!r} has no CRS: set it (frame.set_crs(6668)) before writing")
    if problems:
        raise ValidationError(problems)


def _check_names(wanted: Sequence[str], available: Mapping[str, Any], *, where: str) -> None:
    missing = [n for n in wanted if n not in available]
    if missing:
        raise ValidationError(
            f"no layer {', '.join(map(repr, missing))}; layers are: {', '.join(available) or '(none)'}",
            source=where,
        )


def _gpkg_path(target: str | os.PathLike[str]) -> Path:
    path = Path(target)
    if path.suffix.lower() != ".gpkg":
        raise ValidationError(f"{path}: the output store is a .gpkg file or a postgresql:// URL")
    if path.parent.exists() and not path.parent.is_dir():
        raise FileExistsError(f"{path.parent} is a file: the GeoPackage needs a folder there")
    return path  # a missing folder is created (outputs/<name>/ on a first run)


def _for_file(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame pyogrio writes as is: no index, no geometry-less GeoDataFrame."""
    if isinstance(frame, gpd.GeoDataFrame) and frame.active_geometry_name is None:
        return pd.DataFrame(frame)
    return frame.reset_index(drop=True)


@contextlib.contextmanager
def _gdal_option(name: str, value: str) -> Iterator[None]:
    previous = pyogrio.get_gdal_config_option(name)
    pyogrio.set_gdal_config_options({name: value})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({name: previous})


# --- PostGIS ---------------------------------------------------------------------------------------------
# psycopg 3 only (no SQLAlchemy/GeoAlchemy2): rows go in with COPY, geometry as hex EWKB text (PostGIS parses
# it on input), and come back as WKB from ST_AsBinary. Codes and every other text stay text columns.

_FID = "fid"  # primary key numbering the rows in their written order, as a GeoPackage does


def _connect(url: str) -> Any:
    try:
        import psycopg
    except ImportError as exc:  # optional: only PostGIS output needs it
        raise ImportError('writing to PostGIS needs psycopg: pip install "psycopg[binary]==3.3.9"') from exc
    return psycopg.connect(url)


def _pg_type(values: pd.Series) -> str:
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "timestamptz"
    if pd.api.types.is_datetime64_dtype(dtype):
        return "timestamp"
    return "text"


def _pg_values(values: pd.Series, pg_type: str) -> list[Any]:
    """Python values for COPY: None for missing, text for text columns."""
    missing = values.isna().to_numpy(dtype=bool)
    if pg_type == "text":
        items = [str(v) for v in values.to_numpy(dtype=object)]
    elif pg_type in ("timestamp", "timestamptz"):
        items = list(values.dt.to_pydatetime()) if len(values) else []
    elif pg_type == "bigint":
        items = [int(v) if not m else None for v, m in zip(values.to_numpy(dtype=object), missing, strict=True)]
    elif pg_type == "boolean":
        items = [bool(v) if not m else None for v, m in zip(values.to_numpy(dtype=object), missing, strict=True)]
    else:
        items = [float(v) for v in values.to_numpy(dtype=float, na_value=np.nan)]
        return [None if m else v for v, m in zip(items, missing, strict=True)]
    return [None if m else v for v, m in zip(items, missing, strict=True)]


def _srid(frame: gpd.GeoDataFrame, name: str) -> int:
    epsg = frame.crs.to_epsg()
    if epsg is None:
        raise CRSError(f"layer {name!r}: its CRS has no EPSG code, which PostGIS needs; reproject it (to 6668)")
    return int(epsg)


def _write_postgis(layers: Layers, url: str, *, overwrite: bool, schema: str) -> None:
    from psycopg import sql

    with _connect(url) as conn:  # one transaction: all tables replaced, or (on any error) none
        existing = _pg_tables(conn, schema)
        clash = [name for name in layers if name in existing]
        if clash and not overwrite:
            raise FileExistsError(
                f"tables {', '.join(clash)} exist in schema {schema!r}: pass overwrite=True to replace them"
            )
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        for name, frame in layers.items():
            table = sql.Identifier(schema, name)
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
            spatial = isinstance(frame, gpd.GeoDataFrame) and frame.active_geometry_name is not None
            geom_name = frame.geometry.name if spatial else None
            columns = [c for c in frame.columns if c != geom_name]
            if _FID in columns or any(not isinstance(c, str) for c in columns):
                raise ValidationError(f"layer {name!r}: column names must be text and not {_FID!r}")
            types = {c: _pg_type(frame[c]) for c in columns}
            defs = [sql.SQL("{} bigint PRIMARY KEY").format(sql.Identifier(_FID))]
            defs += [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(types[c])) for c in columns]
            if spatial:
                srid = _srid(frame, name)
                defs.append(sql.SQL("{} geometry(Geometry, {})").format(sql.Identifier(geom_name), srid))
            conn.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(defs)))
            data = [list(range(1, len(frame) + 1))] + [_pg_values(frame[c], types[c]) for c in columns]
            names = [_FID, *columns]
            if spatial:
                geoms = shapely.set_srid(frame.geometry.to_numpy(), srid)
                data.append(list(shapely.to_wkb(geoms, hex=True, include_srid=True)))
                names.append(geom_name)
            copy = sql.SQL("COPY {} ({}) FROM STDIN").format(table, sql.SQL(", ").join(map(sql.Identifier, names)))
            with conn.cursor() as cur, cur.copy(copy) as copier:
                for row in zip(*data, strict=True):
                    copier.write_row(row)
            if spatial:
                conn.execute(sql.SQL("CREATE INDEX ON {} USING GIST ({})").format(table, sql.Identifier(geom_name)))


def _pg_tables(conn: Any, schema: str) -> list[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY table_name",
        [schema],
    ).fetchall()
    return [r[0] for r in rows]


def _read_postgis(url: str, names: Sequence[str] | None, *, schema: str) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    from psycopg import sql

    out: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {}
    with _connect(url) as conn:
        available = {t: None for t in _pg_tables(conn, schema)}
        wanted = list(available) if names is None else list(names)
        _check_names(wanted, available, where=f"{url} schema {schema}")
        for name in wanted:
            cols = conn.execute(
                "SELECT column_name, udt_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                [schema, name],
            ).fetchall()
            geom = [c for c, udt in cols if udt == "geometry"]
            attrs = [(c, udt) for c, udt in cols if udt != "geometry" and c != _FID]
            select = [sql.Identifier(c) for c, _ in attrs]
            select += [sql.SQL("ST_AsBinary({})").format(sql.Identifier(g)) for g in geom[:1]]
            order = sql.SQL(" ORDER BY {}").format(sql.Identifier(_FID)) if _FID in dict(cols) else sql.SQL("")
            query = sql.SQL("SELECT {} FROM {}{}").format(
                sql.SQL(", ").join(select), sql.Identifier(schema, name), order
            )
            rows = conn.execute(query).fetchall()
            columns = list(zip(*rows, strict=True)) if rows else [()] * len(select)
            frame = pd.DataFrame(
                {c: _from_pg(vals, udt) for (c, udt), vals in zip(attrs, columns, strict=False)},
                index=pd.RangeIndex(len(rows)),
            )
            if geom:
                srid = conn.execute("SELECT Find_SRID(%s, %s, %s)", [schema, name, geom[0]]).fetchone()[0]
                shapes = shapely.from_wkb([None if v is None else bytes(v) for v in columns[-1]])
                out[name] = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(shapes, crs=srid or None))
                if geom[0] != "geometry":
                    out[name] = out[name].rename_geometry(geom[0])
            else:
                out[name] = frame
    return out


def _from_pg(values: Sequence[Any], udt: str) -> pd.Series:
    """The pandas column of one PostgreSQL column, with the dtype it was written from."""
    has_null = any(v is None for v in values)
    if udt in ("int2", "int4", "int8"):
        return pd.Series(values, dtype="Int64" if has_null else "int64")
    if udt in ("float4", "float8", "numeric"):
        return pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
    if udt == "bool":
        return pd.Series(values, dtype="boolean" if has_null else "bool")
    if udt in ("timestamp", "timestamptz"):
        return pd.Series(pd.to_datetime(list(values)))
    return pd.Series(values, dtype="str")


def write_geoparquet(
    layers: Layers, folder: str | os.PathLike[str], *, overwrite: bool = False, compression: str = "zstd"
) -> list[Path]:
    """Write each GeoDataFrame layer as ``{folder}/{name}.parquet`` (GeoParquet 1.1, WKB geometry, bbox column).

    GeoParquet is columnar: DuckDB, dask-geopandas, Spark (Sedona), QGIS ≥ 3.32 and ``geopandas.read_parquet``
    read it, and a 1M-point layer writes several times faster and smaller than a GeoPackage. Tables without
    geometry are skipped (the CSV files carry them). Each file appears whole or not at all.

    Parameters
    ----------
    layers
        Layer name → GeoDataFrame with a CRS (other frames are skipped).
    folder
        Output folder (created if missing).
    overwrite
        Replace existing files; otherwise an existing file is an error and nothing is written.
    compression
        Parquet compression codec (``"zstd"``, ``"snappy"``, ``"gzip"`` or ``"none"``).

    Returns
    -------
    list of Path
        The files written, in the order of ``layers``.

    Raises
    ------
    FileExistsError
        A file exists and ``overwrite`` is False.
    CRSError, ValidationError
        A layer without CRS; a bad layer name.
    ImportError
        pyarrow is missing (``pip install pyarrow``).
    """
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:  # pragma: no cover - a pinned dependency
        raise ImportError("GeoParquet output needs pyarrow: pip install pyarrow") from exc
    spatial = {k: v for k, v in layers.items() if isinstance(v, gpd.GeoDataFrame)}
    _check_layers(spatial, postgis=False)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.parquet" for name in spatial]
    existing = [p for p in paths if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{existing[0]} exists: pass overwrite=True (or --overwrite) to replace it")
    for path, frame in zip(paths, spatial.values(), strict=True):
        with atomic_path(path) as tmp:
            frame.to_parquet(tmp, compression=compression, index=False, write_covering_bbox=True)
    return paths
