"""``geo remedies``: candidate remedies for 交通空白 ranked, the best k chosen together, and the coverage curve."""

from __future__ import annotations

import click

from geo import analyses
from geo.cli.gap_inputs import gap_input_options, read_gap_inputs
from geo.cli.options import area_options, finish, output_options, params_from, params_options
from geo.params import AreaParams, GapsParams, RemedyParams
from geo.store import check_output_folder

_UNUSED = ("station_m", "bus_m", "maps")  # distance-gap and map options: remedies judge timetable gaps only


@click.command("remedies")
@area_options
@gap_input_options
@click.option("--add-stops", default=None,
              help="Candidate stops: point file with name and dep_<HH-HH> per window or headway_min, start, end.")  # fmt: skip
@click.option("--add-zones", default=None,
              help="Candidate on-demand zones: polygon file with name, start, end (HH:MM) and days (平日/土曜/日祝).")  # fmt: skip
@click.option("--add-routes", default=None,
              help="Candidate added frequency: CSV with name, route_id and extra dep_<HH-HH> or headway_min, start, end.")  # fmt: skip
@params_options(GapsParams, skip=_UNUSED)
@params_options(RemedyParams)
@output_options("outputs/remedies")
def remedies_command(areas: str, add_stops: str | None, add_zones: str | None, add_routes: str | None,
                     output: str, credits: tuple[str, ...], **options: object) -> None:  # fmt: skip
    """Rank candidate remedies for 交通空白 (new stops, on-demand zones, added frequency on a GTFS route) by the
    gap population each removes, and choose the best --choose together.

    Each candidate is added alone to the existing service and judged by the timetable gaps (definitions, windows,
    date as for geo gaps); the set is chosen by exact maximal covering (CBC) on the baseline's gap population in
    the objective windows and definitions (summed), then evaluated together.

    \b
    Writes into the output folder (layers.gpkg, one CSV each, report.json):
      remedies          per remedy, definition and window: gap_baseline, gap_removed, cells_removed,
                        share_removed_pct, rank, chosen
      remedies_chosen   the chosen set in greedy order with each one's gain
      remedies_joint    per objective pair: covered by the model and by the joint evaluation, gap after
      remedies_curve    k, method (greedy/exact), covered, share, site_added, sites, optimal
      remedy_sites      candidate stops (new, and the stops of route remedies), remedy_zones the zones

    \b
    Example:
      geo remedies --grid --population-table ssdse-a --population-column pop_2020 --prefecture 岐阜県 \\
                   --municipality 21206 --gtfs gtfs-nakatsugawa --stations stations-n02-2023-points \\
                   --date 2020-11-10 --definition plateau-toshi-kozo --add-stops scripts/nakatsugawa_remedies.geojson \\
                   --add-zones scripts/nakatsugawa_remedy_zones.geojson --choose 2 --objective-window 19-22 \\
                   -o outputs/naka_remedies
    """
    area, params = params_from(AreaParams, options), params_from(GapsParams, options)
    remedy = params_from(RemedyParams, options)
    if not (add_stops or add_zones or add_routes):
        raise click.UsageError("give candidates: --add-stops, --add-zones and/or --add-routes")
    i = read_gap_inputs(options, params, areas=areas, credits=credits, extra=(add_stops, add_zones, add_routes),
                        timetable=True)  # fmt: skip
    check_output_folder(output)
    selection = analyses.select(areas, area)
    result = analyses.remedies(selection, i.demand, params, remedy, feeds=i.feeds, stops=i.supply or None,
                               add_stops=add_stops, add_zones=add_zones, add_routes=add_routes,
                               population=i.population, credits=i.credits)  # fmt: skip
    record = {**i.record, "add_stops": add_stops, "add_zones": add_zones, "add_routes": add_routes}
    finish(result, output, params=(area, params, remedy), inputs=record)
