"""One way to turn a user's input argument into a local file: an existing path, or a pinned source name.

Every reader (boundaries, tables, points, mesh) calls :func:`local_file`, so ``geo join n03-2021-s0010 ssdse-a``
works as well as file paths do, from the CLI, a config and the API.
"""

from __future__ import annotations

import os
from pathlib import Path

from geo._errors import ValidationError
from geo.sources import fetch, get_source, list_sources
from geo.store import read_layer_info


def local_file(value: str | os.PathLike[str], *, what: str = "input") -> Path:
    """``value`` as an existing local path: the path itself, or the fetched file of a pinned source name.

    Raises
    ------
    FileNotFoundError
        Neither a file/folder nor a pinned source name; the message says how to list the source names.
    """
    path = Path(value)
    if path.exists():
        return check_file(path)
    name = str(value)
    if os.sep not in name and "/" not in name and name in {s.name for s in list_sources()}:
        return fetch(name)
    raise FileNotFoundError(f"{value}: no such {what} file, and not a pinned source name (see `geo sources list`)")


def check_file(path: Path) -> Path:
    """Refuse, before any reader guesses at it, a 0-byte file (GDAL would advise naming a driver) and a shapefile
    without its ``.dbf`` (read silently without any attribute: no names, no codes)."""
    if path.is_file() and path.stat().st_size == 0:
        raise ValidationError(
            "the file is empty (0 bytes): it was not fully downloaded, copied or saved; get or export it again",
            source=path,
        )
    if path.suffix.lower() == ".shp":
        parts = {p.suffix.lower() for p in path.parent.glob(f"{path.stem}.*")}
        missing = [s for s in (".shx", ".dbf") if s not in parts]
        if missing:
            raise ValidationError(
                f"the shapefile has no {' or '.join(path.stem + s for s in missing)} beside it: a shapefile is several "
                "files (.shp geometry, .shx index, .dbf attributes such as names and codes, .prj CRS); copy all of "
                "them into the same folder, or give the original .zip",
                source=path,
            )
    return path


def credit_of(
    value: str | os.PathLike[str] | None, *, given: str | None = None, sha256: str | None = None
) -> tuple[str, ...]:
    """The credit lines an input carries: the user's ``given`` credit, else the pinned source's.

    A file path is recognised as a pinned source by its SHA-256 (so a copy of ``ssdse-a`` on a USB stick keeps
    its credit; pass ``sha256`` when the caller has already hashed the file); a GeoPackage written by this toolkit carries its layers' credits in its metadata
    (:func:`geo.store.read_layer_info`); anything else has no credit unless one is given (``--credit``,
    ``credit = "…"`` in a config).
    """
    if given:
        return (given,)
    if value is None:
        return ()

    name = str(value)
    known = {s.name: s for s in list_sources()}
    if name in known:
        return (known[name].credit,)
    path = Path(value)
    if path.is_file():
        if path.suffix.lower() == ".gpkg":
            credits: list[str] = []
            for info in read_layer_info(path).values():
                credits += [c for c in info.credits if c not in credits]
            if credits:
                return tuple(credits)
        digest = sha256 or file_sha256(path)
        for source in known.values():
            if source.sha256 == digest:
                return (get_source(source.name).credit,)
    return ()


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB chunks."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
