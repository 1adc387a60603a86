"""``geo sources``: list the pinned open-data sources, fetch and verify them, show licence and credit."""

from __future__ import annotations

import json
import sys

import click

from geo.sources import cache_dir, credit_for, fetch, get_source, list_sources, locate


@click.group()
def sources() -> None:
    """Pinned open-data sources (boundaries/sources.toml): URL, SHA-256, licence, credit.

    Files come from GEO_DATA_MIRROR (a local copy of the data, verified, used in place), else the download
    cache (GEO_CACHE_DIR), else the upstream URL (or GEO_DATA_BASE_URL).

    \b
    Examples:
      geo sources list
      geo sources fetch n03-2021-s0010 ssdse-a
      geo sources info n03-official-2024-19
      geo sources credit n03-2021-s0010 ssdse-a
    """


def _quiet() -> bool:
    ctx = click.get_current_context()
    return bool((ctx.find_root().obj or {}).get("quiet"))


def _size(value: int | None) -> str:
    if value is None:
        return "-"
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024  # type: ignore[assignment]
    return "-"


@sources.command("list")
@click.option("--all", "show_all", is_flag=True, help="List every instance of the {pref}/{year} families.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (every source, all fields, and where it is).")
def list_command(show_all: bool, as_json: bool) -> None:
    """List the sources: name, format, size, where the file is now (mirror/cache/remote), title.

    \b
    Example:
      geo sources list --all
    """

    items = list_sources()
    if as_json:
        rows = [src.to_dict() | {"location": locate(src)[0]} for src in items]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    families: dict[str, list] = {}
    for src in items:
        if src.template and not show_all:
            families.setdefault(src.template, []).append(src)
            continue
        where = locate(src)[0]
        flag = " [non-commercial]" if src.restrictions else ""
        click.echo(f"{src.name:40s} {src.format:15s} {_size(src.size):>9s}  {where:6s}  {src.title}{flag}")
    for pattern, members in families.items():
        pinned = sum(m.pinned for m in members)
        click.echo(
            f"{pattern:40s} {members[0].format:15s} {len(members):>4d} files  {pinned} pinned  "
            f"e.g. {members[0].name}: {members[0].title}"
        )
    if families:
        click.echo("({pref} = 01..47; `geo sources list --all` lists every file)")


@sources.command("fetch")
@click.argument("names", nargs=-1, required=True)
@click.option("--sha256", default=None, help="Expected SHA-256 (for an unpinned source; one NAME only).")
@click.option("--refresh", is_flag=True, help="Download again even when the cache holds the file.")
def fetch_command(names: tuple[str, ...], sha256: str | None, refresh: bool) -> None:
    """Fetch NAMES (mirror, cache or download), verify their SHA-256 and print `name<TAB>path`.

    \b
    Example:
      geo sources fetch n03-2021-s0010 ssdse-a
    """

    if sha256 and len(names) > 1:
        raise click.UsageError("--sha256 applies to one source: give a single NAME")
    show = not _quiet() and sys.stderr.isatty()
    for name in names:
        path = fetch(name, progress=show, sha256=sha256, refresh=refresh)
        click.echo(f"{name}\t{path}")


@sources.command("info")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info_command(name: str, as_json: bool) -> None:
    """Show everything about source NAME: URL, SHA-256, licence, credit, mirror/cache location.

    \b
    Example:
      geo sources info stations-n02-2023-points
    """

    src = get_source(name)
    where, path = locate(src)
    data = src.to_dict() | {"location": where, "path": str(path) if path else None,
                            "cache_file": str(cache_dir() / src.cache_path)}  # fmt: skip
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for key, value in data.items():
        if value in (None, "", []) and key not in ("url", "sha256"):
            continue
        if key == "url" and not value:
            value = "(none: processed here, available from a data mirror only)"
        if key == "sha256" and not value:
            value = "(unpinned: trusted on first use, or pass --sha256)"
        if isinstance(value, list):
            value = ", ".join(value)
        click.echo(f"{key:13s} {value}")


@sources.command("credit")
@click.argument("names", nargs=-1, required=True)
@click.option("--sep", default=" / ", show_default=True, help="Separator between distinct credits.")
def credit_command(names: tuple[str, ...], sep: str) -> None:
    """Print the attribution line a map drawn from NAMES must carry.

    \b
    Example:
      geo sources credit n03-2021-s0010 ssdse-a
    """

    click.echo(credit_for(names, sep=sep))
