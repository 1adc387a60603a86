"""``geo regions``: list and check wide-area groupings (広域リージョン); dissolve them with indicators."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from geo._io import write_with
from geo.store import write_csv

LEVEL_CHOICES = ("auto", "municipality", "designated_city", "prefecture")
_RATE = re.compile(r"^([^=]+)=([^/]+)/([^*]+?)(?:\*([0-9.eE+-]+))?$")
_MEAN = re.compile(r"^([^=]+)=([^@]+)@(.+)$")


@click.group("regions")
def regions() -> None:
    """Wide-area regions: preset groupings (広域地方計画, 関西広域連合, 昇龍道 …) and your own CSV/TOML files.

    \b
    Examples:
      geo regions list
      geo regions show 昇龍道
      geo regions show tokyo-ken --partition 埼玉県,千葉県,東京都,神奈川県
      geo regions dissolve kouiki-chihou-keikaku --boundaries n03-2021-s0010 \\
          --table "$GEO_DATA_MIRROR/ssdse-a-municipal-indicators/municipal_indicators.csv" --sum pop_2020 --sum pop_65plus_2020 \\
          --rate ageing_rate=pop_65plus_2020/pop_2020*100 -o outputs/regions.gpkg
    """


@regions.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def list_command(as_json: bool) -> None:
    """List the preset groupings with their regions.

    \b
    Example:
      geo regions list
    """
    from geo.regions import list_regions, read_regions

    rows = []
    for name in list_regions():
        r = read_regions(name)
        meta = r.attrs["regions"]
        rows.append({
            "name": name, "title": meta["title"], "regions": meta["regions"],
            "levels": sorted(set(r["member_level"])), "members": len(r), "unsure": bool(meta["unsure"]),
        })  # fmt: skip
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        flag = "  (membership partly unsure: see `geo regions show`)" if row["unsure"] else ""
        click.echo(f"{row['name']}: {row['title']} — {len(row['regions'])} region(s), {row['members']} "
                   f"{'/'.join(row['levels'])} members{flag}")  # fmt: skip
        click.echo("    " + "、".join(row["regions"]))


@regions.command("show")
@click.argument("grouping")
@click.option(
    "--partition",
    default=None,
    help="Check the members cover a whole area: 'japan' or prefectures 'NN,NN' (names allowed).",
)
@click.option("--overlap/--no-overlap", default=None, help="Allow a member in several regions (default: the file).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def show_command(grouping: str, partition: str | None, overlap: bool | None, as_json: bool) -> None:
    """Validate GROUPING (a preset name or a .csv/.toml file) and print its regions, members and sources.

    Every unknown name or code, duplicate, overlap and (with --partition) gap is reported at once; the
    command then exits with status 1.
    """
    from geo.regions import read_regions

    r = read_regions(grouping, partition=partition, overlap=overlap)
    meta = r.attrs["regions"]
    if as_json:
        members = r.groupby("region", sort=False).apply(
            lambda g: [f"{c} {n}" for c, n in zip(g["member_code"], g["member_name"], strict=True)],
            include_groups=False,
        )
        click.echo(json.dumps(meta | {"members": members.to_dict()}, ensure_ascii=False, indent=2))
        return
    click.echo(f"{meta['grouping']}: {meta['title']}" + (f" ({meta['title_en']})" if meta["title_en"] else ""))
    if meta["as_of"]:
        click.echo(f"as of: {meta['as_of']}")
    for region, group in r.groupby("region", sort=False):
        names = "、".join(f"{c} {n}" for c, n in zip(group["member_code"], group["member_name"], strict=True))
        click.echo(f"  {region} ({len(group)}): {names}")
    if meta["outside"]:
        click.echo("outside on purpose: " + ", ".join(meta["outside"]))
    if meta["source"]:
        click.echo("source: " + meta["source"])
    if meta["unsure"]:
        click.echo("unsure: " + meta["unsure"])


@regions.command("dissolve")
@click.argument("grouping")
@click.option(
    "--boundaries",
    "boundaries",
    required=True,
    help="N03 file, folder or pinned source name (e.g. n03-2021-s0010).",
)
@click.option(
    "--level",
    type=click.Choice(LEVEL_CHOICES),
    default="auto",
    show_default=True,
    help="Boundary level; auto: the table's level, else municipality (prefecture if every member is one).",
)
@click.option(
    "--table",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="Indicator table (CSV/Excel) joined by code before dissolving.",
)
@click.option("--sum", "sums", multiple=True, help="Count column to sum; repeatable.")
@click.option(
    "--rate",
    "rates",
    multiple=True,
    help="Rate recomputed from sums: NAME=NUMERATOR/DENOMINATOR[*PER]; repeatable.",
)
@click.option("--mean", "means", multiple=True, help="Weighted mean: NAME=COLUMN@WEIGHT; repeatable.")
@click.option(
    "--missing",
    type=click.Choice(["raise", "skip", "propagate"]),
    default="raise",
    show_default=True,
    help="Areas with missing values: stop, aggregate the others (n_missing), or leave the region empty.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default="outputs/regions.gpkg",
    show_default=True,
    help="Region layer (.gpkg/.geojson; the comparison CSV is written beside it) or a .csv table only.",
)
def dissolve_command(
    grouping: str, boundaries: str, level: str, table: str | None, sums: tuple[str, ...],
    rates: tuple[str, ...], means: tuple[str, ...], missing: str, output: str,
) -> None:  # fmt: skip
    """Dissolve BOUNDARIES into the regions of GROUPING and aggregate the indicators of --table.

    \b
    Example:
      geo regions dissolve kouiki-chihou-keikaku --boundaries n03-2021-s0010 \\
          --table "$GEO_DATA_MIRROR/ssdse-a-municipal-indicators/municipal_indicators.csv" --sum pop_2020 --sum pop_65plus_2020 --rate ageing=pop_65plus_2020/pop_2020*100 -o outputs/regions.gpkg
    """
    from geo.boundaries import read_boundaries
    from geo.regions import dissolve_regions, read_regions, region_table

    out = Path(output)
    suffix = out.suffix.lower()
    if suffix not in (".gpkg", ".geojson", ".csv"):
        raise click.BadParameter(f"{output}: use .gpkg, .geojson or .csv", param_hint="-o/--output")
    rate_columns = {name: spec for name, spec in (_parse_rate(r) for r in rates)}
    mean_columns = {name: spec for name, spec in (_parse_mean(m) for m in means)}
    r = read_regions(grouping)
    frame = None
    if table:
        from geo.indicators import read_indicators, table_level

        frame = read_indicators(table)
    if level == "auto":
        if frame is not None:
            level = table_level(frame)
        else:
            level = "prefecture" if (r["member_level"] == "prefecture").all() else "municipality"
    prefs = sorted(set(r["pref_code"]))
    areas = read_boundaries(boundaries, level=level, prefectures=prefs)
    if frame is not None:
        from geo.indicators import join_indicators

        # rows of other prefectures are not wanted here: keep them out of the join report
        key = "muni_code" if "muni_code" in frame.columns else "pref_code"
        frame = frame[frame[key].astype("string").str[:2].isin(prefs).fillna(True).astype(bool)]

        areas, report = join_indicators(areas, frame)
        if not _quiet():
            click.echo(str(report))
    shapes = dissolve_regions(
        areas, r, sum_columns=list(sums), rate_columns=rate_columns, mean_columns=mean_columns,
        missing=missing,  # type: ignore[arg-type]
    )  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    written = []
    if suffix != ".csv":
        driver = "GPKG" if suffix == ".gpkg" else "GeoJSON"
        layer = {"layer": out.stem} if driver == "GPKG" else {}
        write_with(out, lambda tmp: shapes.to_file(tmp, driver=driver, **layer))
        written.append(out)
    csv_path = out if suffix == ".csv" else out.with_suffix(".csv")
    table_out = region_table(shapes)
    write_csv(table_out, csv_path)
    written.append(csv_path)
    if not _quiet():
        shown = [c for c in table_out.columns if c not in ("grouping", "members")]
        click.echo(table_out[shown].to_string(index=False))
        click.echo(f"dissolve method: {shapes.attrs['dissolve_regions']['method']}; wrote "
                   + ", ".join(map(str, written)))  # fmt: skip


def _parse_rate(text: str) -> tuple[str, tuple]:
    m = _RATE.match(text.strip())
    if not m:
        raise click.BadParameter(f"{text!r}: write NAME=NUMERATOR/DENOMINATOR or NAME=NUM/DEN*100", param_hint="--rate")
    name, num, den, per = (g.strip() if g else g for g in m.groups())
    return name, (num, den, float(per)) if per else (num, den)


def _parse_mean(text: str) -> tuple[str, tuple[str, str]]:
    m = _MEAN.match(text.strip())
    if not m:
        raise click.BadParameter(f"{text!r}: write NAME=COLUMN@WEIGHT", param_hint="--mean")
    return m.group(1).strip(), (m.group(2).strip(), m.group(3).strip())


def _quiet() -> bool:
    return bool((click.get_current_context().find_root().obj or {}).get("quiet"))
