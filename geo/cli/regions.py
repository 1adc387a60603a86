"""``geo regions``: list and check wide-area groupings (広域リージョン); dissolve them with indicators."""

from __future__ import annotations

import json
from dataclasses import replace

import click
import pandas as pd

from geo import analyses
from geo._inputs import credit_of
from geo.cli.options import area_options, finish, output_options, params_from, params_options, quiet
from geo.params import AreaParams, JoinParams, RegionsParams
from geo.regions import list_regions, read_grouping, read_regions
from geo.store import check_output_folder

LEVEL_CHOICES = ("auto", "municipality", "designated_city", "prefecture")


@click.group("regions")
def regions() -> None:
    """Wide-area regions: preset groupings (広域地方計画, 関西広域連合, 昇龍道 …) and your own CSV/TOML files.

    \b
    Examples:
      geo regions list
      geo regions show 昇龍道
      geo regions show tokyo-ken --partition 埼玉県,千葉県,東京都,神奈川県
      geo regions dissolve kouiki-chihou-keikaku \\
          --table ssdse-a --level designated_city --sum pop_2020 --sum pop_65plus_2020 \\
          --rate ageing_rate=pop_65plus_2020/pop_2020*100 --missing skip -o outputs/regions
    """


@regions.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def list_command(as_json: bool) -> None:
    """List the preset groupings with their regions.

    \b
    Example:
      geo regions list
    """

    rows = []
    for name in list_regions():
        r, meta = read_grouping(name)
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

    r, meta = read_grouping(grouping, partition=partition, overlap=overlap)
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
@click.argument("groupings", metavar="GROUPING...", nargs=-1, required=True)
@area_options
@click.option("--table", default=None,
              help="Statistics table (CSV/Excel or pinned source) joined by code before dissolving.")  # fmt: skip
@click.option("--column", "columns", multiple=True,
              help="Columns of --table to join (and sum, without --sum); repeatable. Default: all joined, only those "
              "--sum, --rate and --mean name summed.")  # fmt: skip
@params_options(RegionsParams)
@output_options("outputs/regions")
def dissolve_command(groupings: tuple[str, ...], areas: str, table: str | None, columns: tuple[str, ...],
                     output: str, credits: tuple[str, ...], **options: object) -> None:  # fmt: skip
    """Dissolve the areas into the regions of each GROUPING; sum counts, recompute rates from the sums.

    Without --prefecture the areas are the prefectures the groupings' members lie in. --level auto: the
    table's level, else prefecture when every member is a prefecture, else municipality.

    \b
    Example:
      geo regions dissolve kouiki-chihou-keikaku --table ssdse-a --level designated_city --sum pop_2020 \\
          --rate ageing_rate=pop_65plus_2020/pop_2020*100 --missing skip -o outputs/regions
    """
    area, params = params_from(AreaParams, options), params_from(RegionsParams, options)
    check_output_folder(output)
    members = pd.concat([read_regions(g) for g in groupings], ignore_index=True)
    if not area.prefectures:
        area = replace(area, prefectures=tuple(sorted(set(members["pref_code"]))))
    frame = None
    if table:
        frame = analyses.read_table(table, JoinParams(columns=columns))
    elif area.level == "auto":
        level = "prefecture" if (members["member_level"] == "prefecture").all() else "municipality"
        area = replace(area, level=level)
    selection = analyses.select(areas, area, table=frame)
    shapes, counts, found = selection.areas, list(columns), [*credits]
    if frame is not None:
        joined = analyses.join(selection, frame, JoinParams(columns=columns), credits=credit_of(table))
        if not quiet():
            click.echo(str(joined.report))
        shapes, found = joined.areas, [*credit_of(table), *credits]
    result = analyses.regions(shapes, groupings, params, counts=counts, credits=found)
    finish(result, output, params=(area, params), inputs={"areas": areas, "table": table, "groupings": groupings})
