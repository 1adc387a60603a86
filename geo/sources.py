"""Pinned open-data sources: where each file comes from, its SHA-256, licence and credit; fetch and verify.

The manifest ``boundaries/sources.toml`` names every file the toolkit reads (N03 boundaries, indicator tables,
meshes, stations, stops...). :func:`fetch` returns a local path to the exact pinned bytes:

1. **Mirror.** When the environment variable ``GEO_DATA_MIRROR`` names a folder laid out like the shared data
   (each source's ``mirror_path`` inside it), the mirror file is verified and its path returned as is:
   nothing is copied. Verification results are memoised per process by (path, size, mtime), so repeated
   fetches are free.
2. **Cache.** Otherwise the file is looked up in the download cache, verified, and returned.
3. **Download.** Otherwise it is downloaded from its upstream URL (or from ``GEO_DATA_BASE_URL``, an HTTP
   mirror with the same layout) by :func:`pooch.retrieve`, with a progress bar, timeouts and retries with
   backoff, into a temporary file in the cache folder; the SHA-256 is checked and only then the file is
   renamed into place. On any failure
   (wrong checksum, truncated transfer, interrupted download) the part file is deleted: the cache never holds
   a corrupt file.

Cache folder: ``GEO_CACHE_DIR`` if set; else ``boundaries/cache/`` of the source checkout when geo runs
from one (git-ignored, easy to find and to copy to an offline PC); else the platform cache folder
(``~/.cache/geo``, ``~/Library/Caches/geo``, ``%LOCALAPPDATA%\\geo\\Cache``).

Checksum policy
---------------
Every file of the shared data is pinned by SHA-256. Files that exist only as processed copies (derived tables)
have no upstream URL: they come from a mirror only. The official MLIT N03 archives
(``n03-official-{year}-{pref}``) could not be hashed when the manifest was written, so they are
**unpinned**: pass ``sha256=`` to :func:`fetch` to pin one yourself; without it the first download is
trusted, its SHA-256 recorded next to the cached file (``<file>.sha256``) and a warning printed with the
value to add to the manifest; later fetches and ``refresh=True`` re-downloads are verified against that
record (an upstream change is then an error, never a silent swap). Add confirmed values under
``[template.pins]`` in the manifest to pin them for everybody.

Examples
--------
>>> import geo
>>> path = geo.fetch("n03-2021-s0010")                    # doctest: +SKIP
>>> geo.get_source("ssdse-a").credit
'独立行政法人統計センター SSDSE（教育用標準データセット）を加工して作成'
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import itertools
import logging
import os
import sys
import time
import tomllib
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from geo import __version__
from geo._errors import SourceError, ValidationError
from geo._io import write_text_atomic

log = logging.getLogger(__name__)

MIRROR_ENV = "GEO_DATA_MIRROR"
BASE_URL_ENV = "GEO_DATA_BASE_URL"
CACHE_ENV = "GEO_CACHE_DIR"
MANIFEST_ENV = "GEO_SOURCES_MANIFEST"

PREF_CODES: tuple[str, ...] = tuple(f"{i:02d}" for i in range(1, 48))

_CHUNK = 1 << 16
_BACKOFF_S = 1.0  # first retry waits this long, then doubles; tests shorten it
_SOURCE_KEYS = {
    "name", "title", "url", "sha256", "size", "mirror_path", "cache_path", "format", "licence", "credit",
    "upstream", "derived_from", "restrictions",
}  # fmt: skip
_TEMPLATE_KEYS = _SOURCE_KEYS | {"years", "prefs", "pins"}
_REQUIRED = ("name", "title", "licence", "credit")


@dataclass(frozen=True)
class Source:
    """One pinned file: where it comes from, how to verify it, and how to credit it.

    Attributes
    ----------
    name : str
        Identifier used by :func:`fetch`, configs and the CLI, e.g. ``"n03-2021-s0010"``.
    title : str
        What the file holds (Japanese).
    licence : str
        Terms of use, in short.
    credit : str
        The attribution line every map or table drawn from the file must print.
    url : str or None
        Upstream URL of these exact bytes; None for files processed here (available from a mirror only).
    sha256 : str or None
        SHA-256 of the file; None for unpinned sources (see the checksum policy in the module docstring).
    size : int or None
        Size in bytes, when pinned.
    mirror_path : str or None
        Place of the file inside ``GEO_DATA_MIRROR``; None when no mirror carries it.
    cache_path : str
        Place of the file inside the download cache (and under ``GEO_DATA_BASE_URL``).
    format : str
        Format hint: ``topojson``, ``geojson``, ``csv``, ``csv-cp932``, ``zip``, ``gtfs``...
    upstream : str
        Publisher and processing history in one line.
    derived_from : tuple of str
        Names of the sources this file was computed from.
    restrictions : str
        Use restrictions beyond credit, e.g. ``"non-commercial"``; empty when none.
    template : str or None
        The name pattern this source was generated from (``"n03-2021-s0010-{pref}"``), else None.

    Examples
    --------
    >>> src = get_source("n03-2021-s0010")
    >>> src.format, src.pinned
    ('topojson', True)
    """

    name: str
    title: str
    licence: str
    credit: str
    url: str | None = None
    sha256: str | None = None
    size: int | None = None
    mirror_path: str | None = None
    cache_path: str = ""
    format: str = ""
    upstream: str = ""
    derived_from: tuple[str, ...] = ()
    restrictions: str = ""
    template: str | None = None

    @property
    def pinned(self) -> bool:
        """True when the manifest gives the file's SHA-256."""
        return self.sha256 is not None

    def to_dict(self) -> dict[str, object]:
        """All fields as a plain dict (for JSON output)."""
        data = dataclasses.asdict(self)
        data["derived_from"] = list(self.derived_from)
        return data


# ---------------------------------------------------------------------------------------------- manifest


def manifest_path() -> Path:
    """The manifest in use: ``GEO_SOURCES_MANIFEST`` if set, else ``boundaries/sources.toml``."""
    value = os.environ.get(MANIFEST_ENV)
    if value:
        return Path(value).expanduser()
    candidates = [
        Path(__file__).resolve().parents[1] / "boundaries" / "sources.toml",
        Path(__file__).resolve().parent / "data" / "sources.toml",  # where a wheel would carry it
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise SourceError(
        f"no sources manifest found (looked in {', '.join(map(str, candidates))}); "
        f"set {MANIFEST_ENV} to the path of sources.toml"
    )


_LOADED: dict[tuple[str, int], dict[str, Source]] = {}


def _sources() -> dict[str, Source]:
    path = manifest_path()
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except FileNotFoundError:
        raise SourceError(f"sources manifest {path} does not exist") from None
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = _parse_manifest(path)
    return _LOADED[key]


def _parse_manifest(path: Path) -> dict[str, Source]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"not valid TOML: {exc}", source=path) from None
    problems: list[str] = []
    out: dict[str, Source] = {}
    for i, entry in enumerate(data.get("source", [])):
        where = f"[[source]] #{i + 1} ({entry.get('name', '?')})"
        if _check_entry(entry, _SOURCE_KEYS, where, problems):
            _add(out, _make_source(entry, None), where, problems)
    for i, entry in enumerate(data.get("template", [])):
        where = f"[[template]] #{i + 1} ({entry.get('name', '?')})"
        if _check_entry(entry, _TEMPLATE_KEYS, where, problems):
            for src in _expand_template(entry, where, problems):
                _add(out, src, where, problems)
    if problems:
        raise ValidationError(problems, source=path)
    return out


def _check_entry(entry: dict, allowed: set[str], where: str, problems: list[str]) -> bool:
    before = len(problems)
    problems += [
        f"{where}: unknown key {k!r} (allowed: {', '.join(sorted(allowed))})" for k in entry if k not in allowed
    ]
    problems += [f"{where}: missing required key {k!r}" for k in _REQUIRED if not entry.get(k)]
    if not entry.get("mirror_path") and not entry.get("cache_path"):
        problems.append(f"{where}: give mirror_path (file inside GEO_DATA_MIRROR) or cache_path")
    if not entry.get("url") and not entry.get("mirror_path"):
        problems.append(f"{where}: a source needs a url or a mirror_path, else nothing can provide it")
    pins = [("", entry)] + [(f" pin {k!r}", v) for k, v in entry.get("pins", {}).items() if isinstance(v, dict)]
    problems += [
        f"{where}{label}: sha256 must be 64 lowercase hex digits, got {pin['sha256']!r}"
        for label, pin in pins
        if "sha256" in pin and not _is_sha256(pin["sha256"])
    ]
    return len(problems) == before


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _add(out: dict[str, Source], src: Source, where: str, problems: list[str]) -> None:
    if src.name in out:
        problems.append(f"{where}: duplicate source name {src.name!r}")
    out[src.name] = src


def _make_source(entry: dict, template: str | None) -> Source:
    mirror_path = entry.get("mirror_path") or None
    return Source(
        name=entry["name"],
        title=entry["title"],
        licence=entry["licence"],
        credit=entry["credit"],
        url=entry.get("url") or None,
        sha256=entry.get("sha256") or None,
        size=entry.get("size"),
        mirror_path=mirror_path,
        cache_path=entry.get("cache_path") or mirror_path or "",
        format=entry.get("format", ""),
        upstream=entry.get("upstream", ""),
        derived_from=tuple(entry.get("derived_from", ())),
        restrictions=entry.get("restrictions", ""),
        template=template,
    )


def _expand_template(entry: dict, where: str, problems: list[str]) -> list[Source]:
    pattern = entry["name"]
    has_year, has_pref = "{year}" in pattern, "{pref}" in pattern
    if not (has_year or has_pref):
        problems.append(f"{where}: a template name needs {{pref}} and/or {{year}}")
        return []
    years = [str(y) for y in entry.get("years", [])] if has_year else [""]
    if has_year and not years:
        problems.append(f"{where}: the name uses {{year}}: give years = [...]")
        return []
    prefs = [str(p).zfill(2) for p in entry.get("prefs", PREF_CODES)] if has_pref else [""]
    pins = entry.get("pins", {})
    keys = {"-".join(filter(None, (y, p))) for y, p in itertools.product(years, prefs)}
    problems += [
        f"{where}: pin {k!r} matches no instance (keys look like {sorted(keys)[0]!r})" for k in pins if k not in keys
    ]
    out = []
    text_keys = ("name", "title", "url", "mirror_path", "cache_path")
    for year, pref in itertools.product(years, prefs):
        key = "-".join(filter(None, (year, pref)))
        filled = {k: v.format(year=year, pref=pref) if k in text_keys and isinstance(v, str) else v
                  for k, v in entry.items() if k not in ("years", "prefs", "pins")}  # fmt: skip
        filled.pop("sha256", None)  # a template-wide checksum cannot be right for every instance
        filled.pop("size", None)
        filled |= pins.get(key, {})
        out.append(_make_source(filled, pattern))
    return out


def list_sources() -> list[Source]:
    """Every pinned source of the manifest, templated families expanded, in manifest order.

    Examples
    --------
    >>> names = [s.name for s in list_sources()]
    >>> "n03-2021-s0010" in names and "n03-2021-s0010-19" in names
    True
    """
    return list(_sources().values())


def get_source(name: str | Source) -> Source:
    """The source called ``name``; an unknown name raises :class:`SourceError` listing the available names.

    Examples
    --------
    >>> get_source("n03-official-2024-19").url
    'https://nlftp.mlit.go.jp/ksj/gml/data/N03/N03-2024/N03-20240101_19_GML.zip'
    """
    if isinstance(name, Source):
        return name
    sources = _sources()
    if name in sources:
        return sources[name]
    close = difflib.get_close_matches(str(name), list(sources), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise SourceError(f"unknown source {name!r}.{hint} Available: {available_names()}")


def available_names() -> str:
    """The source names in short: single names, and each template once with its placeholders."""
    seen: list[str] = []
    years: set[str] = set()
    for src in _sources().values():
        label = src.template or src.name
        if label not in seen:
            seen.append(label)
        if src.template and "{year}" in src.template:
            years.add(src.name[len(src.template.split("{", 1)[0]) :][:4])
    ranges = "{pref} = 01..47" + (f", {{year}} = {', '.join(sorted(years))}" if years else "")
    return ", ".join(seen) + f" ({ranges}; `geo sources list --all` shows every name)"


def credit_for(names: Iterable[str | Source], *, sep: str = " / ") -> str:
    """The attribution line for a map drawn from ``names``: each distinct credit once, in order.

    Examples
    --------
    >>> print(credit_for(["n03-2021-s0010", "n03-2021-prefectures", "ssdse-a"], sep="\\n"))
    「国土数値情報（行政区域データ）」（国土交通省）を加工して作成
    独立行政法人統計センター SSDSE（教育用標準データセット）を加工して作成
    """
    credits: list[str] = []
    for name in [names] if isinstance(names, (str, Source)) else names:
        credit = get_source(name).credit
        if credit not in credits:
            credits.append(credit)
    return sep.join(credits)


# ---------------------------------------------------------------------------------------------- locations


def mirror_dir() -> Path | None:
    """The folder named by ``GEO_DATA_MIRROR``, or None when unset; a value that is no folder is an error."""
    value = os.environ.get(MIRROR_ENV)
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise SourceError(
            f"{MIRROR_ENV}={value} is not a folder: point it at a local copy of the data mirror, or unset it"
        )
    return path


def cache_dir() -> Path:
    """Where downloads are kept (see the module docstring for the order of choices)."""
    value = os.environ.get(CACHE_ENV)
    if value:
        return Path(value).expanduser()
    checkout = Path(__file__).resolve().parents[1]
    if (
        (checkout / "boundaries").is_dir()
        and (checkout / "pyproject.toml").is_file()
        and os.access(checkout / "boundaries", os.W_OK)
    ):
        return checkout / "boundaries" / "cache"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "geo" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "geo"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "geo"


def locate(name: str | Source) -> tuple[str, Path | None]:
    """Where ``fetch`` would take the file from without downloading: ``("mirror"|"cache"|"remote", path)``.

    Nothing is verified here (that is :func:`fetch`'s job); it only tells which files are at hand.
    """
    src = get_source(name)
    mirror = mirror_dir()
    if mirror is not None and src.mirror_path and (mirror / src.mirror_path).is_file():
        return "mirror", mirror / src.mirror_path
    cached = cache_dir() / src.cache_path
    if cached.is_file():
        return "cache", cached
    return "remote", None


# ---------------------------------------------------------------------------------------------- fetch


def fetch(
    name: str | Source,
    *,
    progress: bool | None = None,
    sha256: str | None = None,
    refresh: bool = False,
    base_url: str | None = None,
    timeout: float = 30.0,
    retries: int = 3,
) -> Path:
    """A local path to the verified bytes of a pinned source: from the mirror, the cache or a download.

    Parameters
    ----------
    name : str or Source
        A source name (``geo sources list``).
    progress : bool, optional
        Show a download progress bar on stderr; default: only when stderr is a terminal.
    sha256 : str, optional
        Expected SHA-256, for unpinned sources (official MLIT archives); must agree with a manifest pin.
    refresh : bool
        Download again even when the cache holds the file (a mirror file is still preferred).
    base_url : str, optional
        Download from this HTTP mirror (same layout as ``GEO_DATA_MIRROR``) instead of the upstream URL;
        default ``GEO_DATA_BASE_URL``.
    timeout : float
        Seconds to wait for the connection and for each read.
    retries : int
        Attempts for network failures and truncated transfers (waits 1 s, 2 s, 4 s... between them).

    Returns
    -------
    pathlib.Path
        The mirror file itself, or the file in the cache folder.

    Raises
    ------
    SourceError
        Unknown name; checksum mismatch (names the file, expected and actual SHA-256, and the fix); truncated
        or failed download; no mirror and no network (says to set ``GEO_DATA_MIRROR`` or connect).

    Examples
    --------
    >>> path = fetch("n03-2021-s0010")                           # doctest: +SKIP
    >>> path = fetch("n03-official-2024-19", sha256="9f2c...")   # doctest: +SKIP
    """
    src = get_source(name)
    expected = _expected_sha(src, sha256)
    mirror = mirror_dir()
    if mirror is not None and src.mirror_path:
        path = mirror / src.mirror_path
        if path.is_file():
            _verify(path, expected, src, where="mirror")
            return path
        log.warning("%s: not in the mirror (%s missing); trying the cache and the network", src.name, path)

    dest = cache_dir() / src.cache_path
    record = _record_path(dest)
    known = expected or _read_record(record)
    if dest.is_file() and not refresh:
        if known is None:  # a file put there by hand: adopt it, as on a first download
            actual = _sha256_file(dest)
            _write_record(record, actual, src, origin=str(dest))
            log.warning("%s: %s is unpinned; trusting the file found in the cache, sha256 %s", src.name, dest, actual)
            return dest
        actual = _sha256_file(dest)
        if actual == known:
            return dest
        log.warning(
            "%s: cached %s does not match sha256 %s (got %s); downloading it again",
            src.name,
            dest,
            known,
            actual,
        )
        dest.unlink()

    url = _download_url(src, base_url, mirror)
    show = sys.stderr.isatty() if progress is None else progress
    actual = _download(url, dest, expected=known, src=src, progress=show, timeout=timeout, retries=retries,
                       mirror=mirror)  # fmt: skip
    if expected is None:
        _write_record(record, actual, src, origin=url)
        if known is None:
            log.warning(
                "%s is not pinned: trusted on first use and recorded in %s. Add to [template.pins] in the "
                "manifest after checking it: %r = { sha256 = %r, size = %d }",
                src.name, record, _pin_key(src), actual, dest.stat().st_size,
            )  # fmt: skip
    return dest


def _expected_sha(src: Source, given: str | None) -> str | None:
    if given is None:
        return src.sha256
    given = given.strip().lower()
    if not _is_sha256(given):
        raise SourceError(f"sha256 for {src.name!r} must be 64 hex digits, got {given!r}")
    if src.sha256 is not None and given != src.sha256:
        raise SourceError(
            f"sha256 given for {src.name!r} ({given}) contradicts the manifest pin ({src.sha256}); drop the "
            f"argument or correct the pin in {manifest_path()}"
        )
    return given


def _pin_key(src: Source) -> str:
    if not src.template:
        return src.name
    # the instance key is the part of the name the placeholders filled in
    prefix = src.template.split("{", 1)[0]
    return src.name[len(prefix) :]


def _download_url(src: Source, base_url: str | None, mirror: Path | None) -> str:
    base = base_url or os.environ.get(BASE_URL_ENV)
    if base:
        return base.rstrip("/") + "/" + urllib.parse.quote(src.cache_path)
    if src.url:
        return src.url
    where = f"{MIRROR_ENV}={mirror}, which lacks {src.mirror_path}" if mirror else f"{MIRROR_ENV} is not set"
    raise SourceError(
        f"{src.name}: this file was processed for the project ({src.upstream}) and is not published "
        f"upstream byte for byte, so it comes only from a data mirror, and {where}. Set {MIRROR_ENV} to a "
        f"folder laid out like the shared data (this file at {src.mirror_path}), or {BASE_URL_ENV} to an "
        "HTTP mirror of it."
    )


# ---------------------------------------------------------------------------------------------- verify

_VERIFIED: dict[tuple[str, int, int], str] = {}


def _sha256_file(path: Path) -> str:
    """SHA-256 of a file, memoised by (path, size, mtime): repeated fetches of a mirror file cost nothing."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _VERIFIED:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        _VERIFIED[key] = digest.hexdigest()
    return _VERIFIED[key]


def _verify(path: Path, expected: str | None, src: Source, *, where: str) -> None:
    if expected is None:
        log.warning("%s: unpinned; using %s without a checksum (pass sha256= to verify it)", src.name, path)
        return
    actual = _sha256_file(path)
    if actual != expected:
        raise SourceError(
            f"{path}: SHA-256 mismatch for source {src.name!r} ({where} copy): expected {expected}, "
            f"got {actual} ({path.stat().st_size} bytes{f', pinned size {src.size}' if src.size else ''}). "
            f"The file is not the pinned version: replace it with {src.url or 'the pinned file'}"
            f"{'' if where != 'mirror' else f', or point {MIRROR_ENV} at an up-to-date mirror'}."
        )


def _record_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".sha256")


def _read_record(record: Path) -> str | None:
    try:
        return record.read_text(encoding="utf-8").split()[0].lower()
    except (FileNotFoundError, IndexError):
        return None


def _write_record(record: Path, sha: str, src: Source, *, origin: str) -> None:
    record.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = f"{sha}  {record.name[: -len('.sha256')]}\n# {src.name}, trusted on first use {stamp} from {origin}\n"
    write_text_atomic(record, text)


# ---------------------------------------------------------------------------------------------- download
#
# pooch does the transfer: requests with timeouts, a temporary file in the cache folder, the SHA-256 check, and
# the move into place only when the bytes match. Kept here: the retry loop, because pooch's own
# (``Pooch(retry_if_failed=2)``) also repeats a complete transfer whose checksum is wrong (measured on the
# loopback server of tests/test_sources.py: 3 downloads of the same wrong 12.9 kB, 3.1 s, instead of 1 download)
# and waits a fixed 1 s, 2 s... that cannot be shortened;
# and the messages, which name the source, the file, both checksums and the fix.


class _Retryable(Exception):
    """A failure worth another attempt: network trouble or a transfer cut short."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind  # "network" or "truncated"


def _download(
    url: str, dest: Path, *, expected: str | None, src: Source, progress: bool, timeout: float, retries: int,
    mirror: Path | None,
) -> str:  # fmt: skip
    dest.parent.mkdir(parents=True, exist_ok=True)
    attempts = max(1, retries)
    last: _Retryable | None = None
    for attempt in range(1, attempts + 1):
        try:
            return _download_once(url, dest, expected=expected, src=src, progress=progress, timeout=timeout)
        except _Retryable as exc:
            last = exc
            log.info("%s: attempt %d/%d failed: %s", src.name, attempt, attempts, exc)
            if attempt < attempts:
                time.sleep(_BACKOFF_S * 2 ** (attempt - 1))
    assert last is not None
    tried = f"after {attempts} attempt{'s' if attempts > 1 else ''}"
    if last.kind == "truncated":
        raise SourceError(
            f"{src.name}: the download of {url} into {dest} was cut short ({last}) {tried}; nothing was "
            f"kept in the cache. Check the connection and retry, or set {MIRROR_ENV} to a local data mirror."
        ) from None
    hint = (
        f"{MIRROR_ENV}={mirror} does not hold {src.mirror_path}: update the mirror"
        if mirror and src.mirror_path
        else f"no network? Set {MIRROR_ENV} to a folder laid out like the data mirror"
        + (f" (this file at {src.mirror_path})" if src.mirror_path else "")
    )
    raise SourceError(
        f"{src.name}: could not download {url} into {dest} ({last}) {tried}. {hint}, or connect to the "
        "internet and retry."
    ) from None


class _Transfer:
    """A :class:`pooch.HTTPDownloader` that turns requests' failures into :class:`_Retryable` or SourceError.

    pooch hands the downloader a temporary file inside the cache folder and tells the progress bar the
    ``Content-Length``; the bytes that reached that file and that length make the "got N of M bytes" message.
    """

    def __init__(self, *, src: Source, bar: object, timeout: float) -> None:
        import pooch

        self.src = src
        self.bar = bar
        self.http = pooch.HTTPDownloader(
            progressbar=bar,
            chunk_size=_CHUNK,
            timeout=timeout,
            headers={"User-Agent": f"geo/{__version__} (+pinned open-data fetch)"},
        )

    def __call__(self, url: str, output_file: str, pooch: object) -> None:
        import requests

        try:
            self.http(url, output_file, pooch)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if exc.response is not None:
                exc.response.close()  # it holds the open connection; unclosed, its socket leaks
            if status >= 500 or status == 429:
                raise _Retryable(f"HTTP {status} {exc.response.reason}", kind="network") from None
            raise SourceError(
                f"{self.src.name}: {url} answered HTTP {status} {exc.response.reason}; the file may have moved "
                f"upstream: check the URL in {manifest_path()}, or set {MIRROR_ENV} to a local data mirror"
            ) from None
        except (requests.RequestException, OSError) as exc:
            cut = _incomplete_read(exc)
            if cut is not None:
                received, missing = cut
                raise _Retryable(
                    f"got {received} of {received + missing} bytes, connection closed early", kind="truncated"
                ) from None
            reason = exc.args[0] if exc.args else type(exc).__name__
            raise _Retryable(str(getattr(reason, "reason", reason)), kind="network") from None


def _download_once(url: str, dest: Path, *, expected: str | None, src: Source, progress: bool, timeout: float) -> str:
    """Download ``url`` once with :func:`pooch.retrieve`; the verified file replaces ``dest`` atomically."""
    import pooch
    from tqdm import tqdm

    # pooch writes into a temporary file beside the target and moves it into place only once the checksum
    # matches; a staging name (not ``dest``) makes it download even when ``dest`` holds a valid older file
    # (refresh), and ``dest`` is replaced in one rename afterwards.
    staging = dest.with_name(f".{dest.name}.download")
    staging.unlink(missing_ok=True)
    bar = tqdm(total=src.size or 1, unit="B", unit_scale=True, unit_divisor=1024, desc=src.name,
               disable=not progress, file=sys.stderr, leave=False)  # fmt: skip
    quiet = pooch.get_logger()
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # pooch logs each download at INFO on stderr; our messages say it already
    try:
        with bar:
            pooch.retrieve(url, known_hash=expected, fname=staging.name, path=dest.parent,
                           downloader=_Transfer(src=src, bar=bar, timeout=timeout))  # fmt: skip
    except ValueError as exc:  # pooch: the checksum of a complete transfer is wrong; the file was deleted
        if "hash" not in str(exc):
            raise
        staging.unlink(missing_ok=True)
        actual = _actual_from_pooch(exc)
        raise SourceError(
            f"{dest}: SHA-256 mismatch for source {src.name!r} downloaded from {url}: "
            f"expected {expected}, got {actual}{f' (pinned size {src.size} bytes)' if src.size else ''}. "
            "The file was not kept. Retry; if it persists the upstream file changed: check it and "
            + (
                f"update the pin in {manifest_path()}."
                if src.sha256
                else f"delete {_record_path(dest)} to accept the new version, or pin it with sha256=."
            )
        ) from None
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    finally:
        quiet.setLevel(level)
    actual = _sha256_file(staging)
    os.replace(staging, dest)
    return actual


def _incomplete_read(exc: BaseException) -> tuple[int, int] | None:
    """(bytes received, bytes missing) when urllib3 reports a body shorter than its Content-Length, else None.

    requests wraps urllib3's ``IncompleteRead`` in ``ProtocolError`` in ``ChunkedEncodingError``: walk the chain.
    """
    from urllib3.exceptions import IncompleteRead

    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, IncompleteRead):
            return int(seen.partial), int(seen.expected)
        inner = [a for a in seen.args if isinstance(a, BaseException)]
        seen = inner[-1] if inner else seen.__cause__ or seen.__context__
    return None


def _actual_from_pooch(exc: ValueError) -> str:
    """The SHA-256 pooch computed, from its message "... expected X but got Y. ..."; '?' if it changes wording."""
    words = str(exc).replace(".", " ").split()
    return words[words.index("got") + 1] if "got" in words else "?"
