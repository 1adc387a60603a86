"""Pinned sources: the manifest against the real mirror; fetch via mirror, cache and loopback HTTP."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import logging
import re
import socket
import threading
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import geo
import geo.sources as sources
from geo._errors import SourceError, ValidationError
from geo.cli import cli

PREF19 = "n03-2021-s0010-19"  # 山梨県, 1 % TopoJSON, 12.9 kB: small enough to serve many times
PREF19_PATH = "japan-topography-n03-2021/topojson/s0010/N03-21_19_210101.json"
# credits composed after an example in SOURCE.md (it gives one only for 中津川市), so not found there verbatim
COMPOSED_CREDITS = {"gtfs-toyota"}
N03_CREDIT = "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成"
SSDSE_CREDIT = "独立行政法人統計センター SSDSE（教育用標準データセット）を加工して作成"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test downloads into its own cache folder, never the checkout's, and never waits for backoff."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("GEO_CACHE_DIR", str(folder))
    monkeypatch.delenv("GEO_DATA_BASE_URL", raising=False)
    monkeypatch.setattr(sources, "_BACKOFF_S", 0.0)
    return folder


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No mirror: fetch must use the cache or HTTP."""
    monkeypatch.delenv("GEO_DATA_MIRROR", raising=False)


# ---------------------------------------------------------------------------------------------- HTTP server


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; the server's ``mode`` makes it truncate the body or flip a byte of it."""

    def do_GET(self) -> None:
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        mode = self.server.mode  # type: ignore[attr-defined]
        if mode == "ok":
            super().do_GET()
            return
        path = Path(self.translate_path(self.path))
        data = path.read_bytes()
        body = data[: len(data) // 2] if mode == "truncate" else bytes([data[0] ^ 0x01]) + data[1:]
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))  # the full length, whatever is sent
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def serve():
    """Start an HTTP server on 127.0.0.1 serving a folder; returns (base_url, server); stopped at teardown."""
    servers = []

    def start(folder: Path, mode: str = "ok"):
        def handler(*args, **kwargs):
            return Handler(*args, directory=str(folder), **kwargs)

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.mode = mode  # type: ignore[attr-defined]
        server.hits = []  # type: ignore[attr-defined]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_address[1]}", server

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ---------------------------------------------------------------------------------------------- manifest


def test_every_pin_matches_the_mirror(shared_data: Path) -> None:
    """The real check of the pins: each mirror file exists with the pinned size and SHA-256."""
    problems = []
    checked = 0
    for src in geo.list_sources():
        if not src.mirror_path:
            continue
        path = shared_data / src.mirror_path
        if not path.is_file():
            problems.append(f"{src.name}: {path} missing")
            continue
        data = path.read_bytes()
        if len(data) != src.size or sha256(data) != src.sha256:
            problems.append(f"{src.name}: {path} size {len(data)} sha {sha256(data)} != pin {src.size} {src.sha256}")
        checked += 1
    assert problems == []
    assert checked >= 43 + 2 * 47


def test_every_shared_file_has_exactly_one_source(shared_data: Path) -> None:
    data_files = {
        str(p.relative_to(shared_data)) for p in files_under(shared_data) if p.name not in ("SOURCE.md", "README.md")
    }
    mirror_paths = [s.mirror_path for s in geo.list_sources() if s.mirror_path]
    assert sorted(data_files - set(mirror_paths)) == []
    assert len(mirror_paths) == len(set(mirror_paths))


def test_credits_and_upstream_commits_follow_source_md(shared_data: Path) -> None:
    """Each credit is the line its folder's SOURCE.md asks for; each GitHub URL pins a 40-digit commit."""
    wrong = []
    for src in geo.list_sources():
        if src.url and "raw.githubusercontent.com" in src.url:
            assert re.search(r"/[0-9a-f]{40}/", src.url), src.url
        if not src.mirror_path or src.name in COMPOSED_CREDITS:
            continue
        folder = src.mirror_path.split("/")[0]
        text = (shared_data / folder / "SOURCE.md").read_text(encoding="utf-8")
        if src.credit not in text:
            wrong.append((src.name, src.credit))
        commits = re.findall(r"[0-9a-f]{40}", src.url or "")
        if commits and folder != "japan-topography-n03-2021":  # that SOURCE.md names no commit
            assert commits[0] in text, f"{src.name}: commit {commits[0]} not in {folder}/SOURCE.md"
    assert wrong == []
    assert geo.get_source("michinoeki-hokkaido").restrictions == "non-commercial"


def test_official_archives_are_templated_by_year_and_prefecture() -> None:
    src = geo.get_source("n03-official-2024-19")
    assert src.url == "https://nlftp.mlit.go.jp/ksj/gml/data/N03/N03-2024/N03-20240101_19_GML.zip"
    assert not src.pinned and src.mirror_path is None and src.format == "zip"
    names = {s.name for s in geo.list_sources() if s.template == "n03-official-{year}-{pref}"}
    assert {"n03-official-2021-01", "n03-official-2025-47"} <= names and len(names) == 5 * 47


def test_unknown_name_lists_the_available_names() -> None:
    with pytest.raises(SourceError) as err:
        geo.get_source("n03-2021-s001")
    message = str(err.value)
    assert "Did you mean 'n03-2021-s0010'" in message
    assert "ssdse-a" in message and "n03-official-{year}-{pref}" in message and "{year} = 2021" in message


def test_credit_for_dedupes_in_order() -> None:
    line = geo.credit_for(["n03-2021-s0010", "ssdse-a", "n03-2021-prefectures"])
    assert line == f"{N03_CREDIT} / {SSDSE_CREDIT}"


def test_a_broken_manifest_lists_every_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "sources.toml"
    bad.write_text(
        '[[source]]\nname = "a"\ntitle = "t"\nlicence = "l"\ncredit = "c"\nmirror_path = "a.csv"\n'
        'sha256 = "xyz"\ncolour = "red"\n\n'
        '[[source]]\nname = "b"\ntitle = "t"\nlicence = "l"\nmirror_path = "b.csv"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("GEO_SOURCES_MANIFEST", str(bad))
    with pytest.raises(ValidationError) as err:
        geo.list_sources()
    assert len(err.value.problems) == 3
    text = str(err.value)
    assert "unknown key 'colour'" in text and "64 lowercase hex" in text and "missing required key 'credit'" in text


# ---------------------------------------------------------------------------------------------- mirror


def test_fetch_returns_the_verified_mirror_file_without_copying(shared_data: Path, cache: Path) -> None:
    path = geo.fetch("n03-2021-s0010")
    assert path == shared_data / "japan-topography-n03-2021/topojson/s0010/N03-21_210101.json"
    assert geo.fetch("ssdse-a") == shared_data / "ssdse-a-municipal-indicators/municipal_indicators.csv"
    assert files_under(cache) == []


def test_pinned_name_reads_as_boundaries(shared_data: Path) -> None:
    areas = geo.read_boundaries(PREF19)
    assert len(areas) == 27 and set(areas["pref_code"]) == {"19"}


def test_wrong_checksum_in_the_mirror_names_the_file(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = tmp_path / "mirror"
    target = mirror / PREF19_PATH
    target.parent.mkdir(parents=True)
    target.write_bytes((shared_data / PREF19_PATH).read_bytes().replace(b"N03_004", b"N03_00X", 1))
    monkeypatch.setenv("GEO_DATA_MIRROR", str(mirror))
    with pytest.raises(SourceError) as err:
        geo.fetch(PREF19)
    message = str(err.value)
    assert str(target) in message and "SHA-256 mismatch" in message
    assert geo.get_source(PREF19).sha256 in message and sha256(target.read_bytes()) in message
    assert "GEO_DATA_MIRROR" in message


def test_mirror_only_file_without_a_mirror_says_what_to_do(offline: None) -> None:
    with pytest.raises(SourceError) as err:
        geo.fetch("ssdse-a")
    message = str(err.value)
    assert "GEO_DATA_MIRROR is not set" in message
    assert "ssdse-a-municipal-indicators/municipal_indicators.csv" in message and "GEO_DATA_BASE_URL" in message


# ---------------------------------------------------------------------------------------------- HTTP


def test_download_over_http_then_from_the_cache(shared_data: Path, cache: Path, offline: None, serve) -> None:
    base, server = serve(shared_data)
    path = geo.fetch(PREF19, base_url=base, progress=False)
    assert path == cache / PREF19_PATH
    assert path.read_bytes() == (shared_data / PREF19_PATH).read_bytes()
    assert [p.name for p in files_under(cache)] == [path.name]  # no part file left behind
    assert server.hits == ["/" + PREF19_PATH]
    assert geo.fetch(PREF19, base_url=base) == path  # second time: from the cache, verified
    assert len(server.hits) == 1


def test_progress_bar_goes_to_stderr_and_a_missing_file_is_a_clear_http_error(
    shared_data: Path, cache: Path, offline: None, serve, capsys: pytest.CaptureFixture[str]
) -> None:
    base, server = serve(shared_data)
    geo.fetch(PREF19, base_url=base, progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and PREF19 in captured.err and "12.6k" in captured.err  # 12,943 B in KiB
    with pytest.raises(SourceError) as err:  # official archives are not in the shared data: 404, not retried
        geo.fetch("n03-official-2023-19", base_url=base, retries=3)
    assert "answered HTTP 404" in str(err.value) and "N03-20230101_19_GML.zip" in str(err.value)
    assert len(server.hits) == 2
    assert [p.name for p in files_under(cache)] == ["N03-21_19_210101.json"]


def test_base_url_from_the_environment_and_a_corrupt_cache_file_is_replaced(
    shared_data: Path, cache: Path, offline: None, serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, server = serve(shared_data)
    monkeypatch.setenv("GEO_DATA_BASE_URL", base)
    stale = cache / PREF19_PATH
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"{}")
    assert geo.fetch(PREF19) == stale
    assert stale.read_bytes() == (shared_data / PREF19_PATH).read_bytes()
    assert len(server.hits) == 1


def test_wrong_checksum_over_http_keeps_nothing(shared_data: Path, cache: Path, offline: None, serve) -> None:
    base, server = serve(shared_data, mode="corrupt")
    with pytest.raises(SourceError) as err:
        geo.fetch(PREF19, base_url=base)
    message = str(err.value)
    assert "N03-21_19_210101.json" in message and "SHA-256 mismatch" in message
    assert f"expected {geo.get_source(PREF19).sha256}" in message and "not kept" in message
    assert files_under(cache) == []
    assert len(server.hits) == 1  # a complete transfer with wrong bytes is not retried


def test_truncated_transfer_is_retried_then_fails_keeping_nothing(
    shared_data: Path, cache: Path, offline: None, serve
) -> None:
    base, server = serve(shared_data, mode="truncate")
    with pytest.raises(SourceError) as err:
        geo.fetch(PREF19, base_url=base, retries=3)
    message = str(err.value)
    size = geo.get_source(PREF19).size
    assert f"got {size // 2} of {size} bytes" in message and "cut short" in message
    assert f"{base}/{PREF19_PATH}" in message and str(cache / PREF19_PATH) in message
    assert len(server.hits) == 3
    assert files_under(cache) == []


def test_no_mirror_and_no_network_gives_a_clear_message(cache: Path, offline: None) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SourceError) as err:
        geo.fetch(PREF19, base_url=f"http://127.0.0.1:{port}", retries=2, timeout=5)
    message = str(err.value)
    assert "could not download" in message and "after 2 attempts" in message
    assert f"Set GEO_DATA_MIRROR to a folder laid out like the data mirror (this file at {PREF19_PATH})" in message
    assert "connect to the internet" in message
    assert files_under(cache) == []


def test_unpinned_official_archive_is_trusted_on_first_use_then_held_to_it(
    tmp_path: Path, cache: Path, offline: None, serve, caplog: pytest.LogCaptureFixture
) -> None:
    src = geo.get_source("n03-official-2024-19")
    upstream = tmp_path / "upstream"
    archive = upstream / src.cache_path
    archive.parent.mkdir(parents=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("N03-20240101_19.geojson", '{"type": "FeatureCollection", "features": []}')
    first = buffer.getvalue()
    archive.write_bytes(first)
    base, _ = serve(upstream)

    with caplog.at_level(logging.WARNING, logger="geo.sources"):
        path = geo.fetch(src.name, base_url=base)
    assert path.read_bytes() == first
    assert f"'2024-19' = {{ sha256 = '{sha256(first)}'" in caplog.text and "not pinned" in caplog.text
    record = path.with_name(path.name + ".sha256")
    assert record.read_text(encoding="utf-8").split()[0] == sha256(first)

    archive.write_bytes(first + b"changed upstream")  # a later download must match the recorded checksum
    with pytest.raises(SourceError, match="SHA-256 mismatch") as err:
        geo.fetch(src.name, base_url=base, refresh=True)
    assert f"expected {sha256(first)}" in str(err.value) and f"delete {record} to accept" in str(err.value)
    assert path.read_bytes() == first  # the verified file stays in place
    with pytest.raises(SourceError, match="must be 64 hex digits"):
        geo.fetch(src.name, sha256="abc")
    assert geo.fetch(src.name, sha256=sha256(first)) == path


# ---------------------------------------------------------------------------------------------- CLI


def test_cli_list_fetch_info_credit(shared_data: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, ["sources", "list"])
    assert listed.exit_code == 0, listed.output
    line = next(x for x in listed.output.splitlines() if x.startswith("n03-2021-s0010 "))
    assert "mirror" in line and "1.5 MB" in line
    assert "n03-official-{year}-{pref}" in listed.output and "235 files" in listed.output

    fetched = runner.invoke(cli, ["sources", "fetch", "n03-2021-s0010", "ipss2018"])
    assert fetched.exit_code == 0, fetched.output
    ipss = shared_data / "ipss2018-prefecture-projection/ipss2018_prefecture_population_2015_2045.csv"
    assert fetched.output.splitlines()[1] == f"ipss2018\t{ipss}"

    info = runner.invoke(cli, ["sources", "info", "michinoeki-hokkaido", "--json"])
    data = json.loads(info.output)
    assert data["restrictions"] == "non-commercial" and data["location"] == "mirror"
    assert data["url"].startswith("https://raw.githubusercontent.com/2427dkusiro/MichinoekiTSP/8c736e5")

    credit = runner.invoke(cli, ["sources", "credit", "schools-gunma", "n03-2021-s0010"])
    assert credit.output.strip() == f"出典：国土数値情報（学校データ）（国土交通省） / {N03_CREDIT}"

    unknown = runner.invoke(cli, ["sources", "fetch", "no-such-source"])
    assert unknown.exit_code == 1 and isinstance(unknown.exception, SourceError)
    assert "Available:" in str(unknown.exception)


def test_downloads_go_through_pooch_into_the_cache_folder(
    shared_data: Path, cache: Path, offline: None, serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pooch does the transfer and the checksum (its known_hash is the pin); geo only moves the result into place."""
    import pooch

    calls = []
    real = pooch.retrieve

    def spy(url, **kwargs):
        calls.append((url, kwargs["known_hash"], Path(kwargs["path"])))
        return real(url, **kwargs)

    monkeypatch.setattr(pooch, "retrieve", spy)
    base, _ = serve(shared_data)
    path = geo.fetch(PREF19, base_url=base)
    assert calls == [(f"{base}/{PREF19_PATH}", geo.get_source(PREF19).sha256, path.parent)]
    assert sha256(path.read_bytes()) == geo.get_source(PREF19).sha256
