"""The カルテ drawn: its map (matplotlib, IPAexGothic) and its sections as rows, for the HTML page and the A4 PDF.

Both pages are rendered from the カルテ's JSON (:mod:`geo.karte.figures`); only the map also reads geometry. The
sections are a list of (heading, column labels, rows of text, notes), so the HTML and the PDF show the same
figures, formatted once here.
"""

from __future__ import annotations

import html
import io
import math
import re
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from geo._io import atomic_path
from geo.crs import prefecture_crs
from geo.maps.static import font_context

A4_IN = (8.27, 11.69)
"""A4 portrait in inches (210 × 297 mm; a PDF page of 595 × 842 pt)."""
_INK = "#222222"
_DEMAND_COLOR = "#e8e8e8"


@dataclass(frozen=True)
class Section:
    heading: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()


def number(value: Any, unit: str = "", digits: int | None = None) -> str:
    """A figure as printed: thousands separators, 1 decimal for shares; None/NaN → 「—」."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{value}{unit}"
    if digits is None:
        digits = 1 if unit == "%" or (isinstance(value, float) and abs(value) < 100 and value != int(value)) else 0
    text = f"{value:,.{digits}f}"
    return f"{text}{unit}" if unit in ("%", "人", "km", "m", "か所") else f"{text} {unit}".rstrip()


def sections(k: dict[str, Any]) -> list[Section]:
    """The カルテ's sections in page order, as text rows."""
    out = [Section("人口・高齢化", ("項目", "値"),
                   tuple((i["label"], number(i["value"], i["unit"])) for i in k["population"]["items"]),
                   tuple(k["population"]["notes"]))]  # fmt: skip
    d = k["distance_gaps"]
    if d:
        walk = "・".join(f"{'駅' if m == 'station' else 'バス停'} {number(v, 'm')}" for m, v in d["walk_m"].items())
        out.append(Section(f"交通空白（徒歩距離: {walk} 圏外）", ("項目", "値"), (
            ("需要人口（メッシュ計）", number(d["demand_population"], "人")),
            ("交通空白人口", number(d["gap_population"], "人")),
            ("交通空白人口の割合", number(d["gap_share_pct"], "%")),
            ("交通空白メッシュ数 / 全メッシュ", f"{number(d['gap_cells'])} / {number(d['demand_cells'])}"),
        )))  # fmt: skip
    t = k["timetable_gaps"]
    if t:
        rows = tuple((r["definition"], f"{r['window']} 時", number(r["demand"], "人"), number(r["gap"], "人"),
                      number(r["gap_share_pct"], "%")) for r in t["rows"])  # fmt: skip
        out.append(Section(f"交通空白（時刻表: {t['date'] or '—'} {t['day_type'] or ''}、定義・時間帯別）",
                           ("定義", "時間帯", "人口", "交通空白人口", "割合"), rows))  # fmt: skip
    tr = k["transit"]
    out.append(Section("駅・バス停", ("レイヤ", "件数", "名称"),
                       tuple((f"{x['layer']}（{'駅' if x['kind'] == 'station' else 'バス停'}）", number(x["rows"]),
                              "、".join(x["names"][:12]) + (" ほか" if len(x["names"]) > 12 else ""))
                             for x in tr["layers"])))  # fmt: skip
    if tr["timetable"]:
        rows = tuple((f"{x['service_date']} {x['day_type']}", "駅" if x["mode"] == "station" else "バス停",
                      number(x["stops"]), number(x["stops_served"]), number(x["dep_day"], "本"),
                      "、".join(f"{w} 時 {number(n)}" for w, n in x["dep_windows"].items()))
                     for x in tr["timetable"])  # fmt: skip
        out.append(Section("時刻表の駅・バス停と発車本数（乗車可能な発車）",
                           ("運行日", "種別", "停留所数", "発車あり", "1日の発車", "時間帯別の発車"), rows))  # fmt: skip
    h = k["hubs"]
    if h:
        rows = tuple((number(c["radius_m"], "m"), number(c["total"], "人"), number(c["covered"], "人"),
                      number(c["share"] * 100 if c["share"] is not None else None, "%")) for c in h["coverage"])  # fmt: skip
        out.append(Section("拠点カバー（候補地すべて）", ("圏域", "人口", "カバー人口", "カバー率"), rows))
        if h["chosen"] is not None:
            s = h["siting"] or {}
            rows = tuple((number(c.get("rank")), str(c.get(list(c)[1], "")), number(c.get("gain"), "人"),
                          number((c.get("cumulative_share") or 0) * 100, "%")) for c in h["chosen"])  # fmt: skip
            note = (f"全体で {number(h.get('chosen_total'))} か所を選定（{s.get('method')}, {number(s.get('radius_m'), 'm')}"
                    f"圏, 全体カバー率 {number((s.get('share') or 0) * 100, '%')}）。この市町村内の選定拠点を掲載")  # fmt: skip
            out.append(Section("選定した拠点", ("順位", "名称", "追加カバー人口", "累積カバー率"),
                               rows or (("—", "この市町村内に選定拠点なし", "", ""),), (note,)))  # fmt: skip
        if h["candidates"]:
            col = h["candidates_column"]
            rows = tuple((str(next(iter(c.values()))), number(c[col], "人")) for c in h["candidates"])
            out.append(Section(f"候補地の上位（{col.removeprefix('covered_')} 圏のカバー人口順）", ("候補地", "カバー人口"),
                               rows))  # fmt: skip
    out += curve_sections({key: rows for key, rows in k["curves"].items() if key == "hubs"})
    sc = k["scenarios"]
    if sc is not None:
        rows = tuple((r["scenario"], r["definition"], f"{r['window']} 時", number(r["gap_pop_baseline"], "人"),
                      number(r["gap_pop"], "人"), number(r["delta"], "人")) for r in sc)  # fmt: skip
        out.append(Section("シナリオ（交通空白人口）", ("シナリオ", "定義", "時間帯", "現況", "シナリオ", "増減"),
                           rows or (("—",) * 6,)))  # fmt: skip
    if k["remedies"] is not None:
        out += remedy_sections(k["remedies"])
    out += curve_sections({key: rows for key, rows in k["curves"].items() if key == "remedies"})
    out.append(Section("広域リージョン", ("区分", "リージョン", "所属"),
                       tuple((r["title"], r["region"], r["via"]) for r in k["regions"])
                       or (("—", "該当なし", ""),)))  # fmt: skip
    g = k["good_practices"]
    out.append(Section(f"近隣の好事例（地方創生2.0, {number(g['within_km'], 'km')} 以内）", ("距離", "取組", "場所", "柱"),
                       tuple((number(r["distance_km"], "km", 1), r["title"], _short(f"{r['pref_name']} {r['muni_name'] or ''}", 28),
                              f"({r['pillar']})") for r in g["rows"]) or (("—", "該当なし", "", ""),),
                       (g["citation"],)))  # fmt: skip
    s = k["sources"]
    rows = tuple((i["role"], str(i["source"]), i["licence"] or "", i["sha256"]) for i in s["inputs"])
    cites = tuple(f"定義 {c['name']}: {c['source']} {c['url'] or ''}".strip() for c in s["citations"])
    credits = tuple(f"クレジット: {c}" for c in s["credits"])
    out.append(Section("出典・定義", ("入力", "データ", "利用条件", "SHA-256"), rows,
                       (*credits, *cites, f"geo {s['versions'].get('geo')} / 実行 {k['run']['name']}")))  # fmt: skip
    return out


# ------------------------------------------------------------------------------------------------------ map


def draw_map(ax: Any, k: dict[str, Any], frames: dict[str, gpd.GeoDataFrame | None], classes: dict[str, Any]) -> None:
    """The municipality with its gap cells (shared classes) or service grades, stations and chosen hubs."""
    crs = prefecture_crs(k["pref_code"])
    shape = frames["area"].to_crs(crs)
    xmin, ymin, xmax, ymax = shape.total_bounds
    pad = max(xmax - xmin, ymax - ymin) * 0.04
    if frames.get("neighbours") is not None and len(frames["neighbours"]):
        frames["neighbours"].to_crs(crs).plot(ax=ax, facecolor="#f7f7f7", edgecolor="#bbbbbb", linewidth=0.4)
    if frames.get("demand") is not None and len(frames["demand"]):
        frames["demand"].to_crs(crs).plot(ax=ax, facecolor=_DEMAND_COLOR, edgecolor="none")
    cells = frames.get("cells")
    if cells is not None and len(cells):
        cells.to_crs(crs).plot(ax=ax, color=list(cells["_color"]), edgecolor="white", linewidth=0.15)
    shape.boundary.plot(ax=ax, color=_INK, linewidth=1.0)
    for name, marker, size, color in (("stations", "o", 9, _INK), ("hubs", "*", 60, "#d4007a")):
        pts = frames.get(name)
        if pts is not None and len(pts):
            pts.to_crs(crs).plot(ax=ax, marker=marker, markersize=size, color=color, edgecolor="white",
                                 linewidth=0.4, zorder=5)  # fmt: skip
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    _scale_bar(ax, xmin - pad, ymin - pad, xmax - xmin)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=c, edgecolor="#999999", linewidth=0.3, label=f"{lab}（{n}）")
               for lab, c, n in zip(classes["labels"], classes["colors"], k["map"]["counts"], strict=True)]  # fmt: skip
    if k["map"]["kind"] == "gap_cells":
        handles.append(Patch(facecolor=_DEMAND_COLOR, label="徒歩圏内のメッシュ"))
    handles.append(Line2D([], [], marker="o", color="none", markerfacecolor=_INK, markersize=3.5, label="駅"))
    if frames.get("hubs") is not None and len(frames["hubs"]):
        handles.append(Line2D([], [], marker="*", color="none", markerfacecolor="#d4007a", markersize=8,
                              label="選定した拠点"))  # fmt: skip
    leg = ax.legend(handles=handles, title=classes.get("legend") or classes["title"], loc="upper left", bbox_to_anchor=(1.0, 1.0),
                    fontsize=6.5, title_fontsize=7, frameon=False, alignment="left")  # fmt: skip
    leg.get_title().set_multialignment("left")


def _scale_bar(ax: Any, x0: float, y0: float, width: float) -> None:
    steps = [1, 2, 5, 10, 20, 50]
    km = next((s for s in steps if s * 1000 >= width / 5), 50)
    x, y = x0 + width * 0.03, y0 + width * 0.03
    ax.plot([x, x + km * 1000], [y, y], color=_INK, linewidth=1.5, solid_capstyle="butt")
    ax.text(x + km * 500, y + width * 0.012, f"{km} km", ha="center", va="bottom", fontsize=6, color=_INK)


def map_figure(k: dict[str, Any], frames: dict[str, Any], classes: dict[str, Any], width_in: float = 8.0) -> Any:
    """The map alone as a figure (for the HTML page)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, width_in * 0.7))
    ax = fig.add_axes((0.0, 0.02, 0.62, 0.96))
    draw_map(ax, k, frames, classes)
    return fig


def svg_of(fig: Any) -> str:
    """A figure as inline SVG text (fixed ids and no date, so the page is byte-identical run after run)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "geo-karte", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


# ------------------------------------------------------------------------------------------------------ HTML


_CSS = """
body{font-family:"IPAexGothic","Noto Sans CJK JP","Hiragino Sans",sans-serif;max-width:60em;margin:1.5em auto;
color:#222;line-height:1.5;padding:0 1em}
h1{font-size:1.5em;margin:0}header p{margin:.2em 0;color:#555}
h2{font-size:1.1em;border-bottom:2px solid #2b5d8a;margin-top:1.4em}
table{border-collapse:collapse;font-size:.9em;margin:.4em 0}td,th{border:1px solid #ccc;padding:.15em .5em}
th{background:#eef3f8;text-align:left}td.n{text-align:right}.note{font-size:.85em;color:#555}
figure{margin:0}svg{max-width:100%;height:auto}
@media print{body{max-width:none}}
"""


_FIGURE = re.compile(r"^[-−+]?[\d,]+(\.\d+)?\s?(人|%|m|km|か所)?( / [\d,]+)?$")


def _cell(text: str) -> str:
    """A table cell; figures are right-aligned."""
    numeric = bool(_FIGURE.match(text))
    return f'<td class="n">{html.escape(text)}</td>' if numeric else f"<td>{html.escape(text)}</td>"


def page_html(k: dict[str, Any], svg: str) -> str:
    """The self-contained カルテ page (no scripts, no external requests; every text escaped)."""
    parts = []
    for s in sections(k):
        head = "".join(f"<th>{html.escape(c)}</th>" for c in s.columns)
        body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in s.rows)
        notes = "".join(f'<p class="note">{html.escape(n)}</p>' for n in s.notes)
        parts.append(f"<section><h2>{html.escape(s.heading)}</h2>\n<table><tr>{head}</tr>{body}</table>{notes}"
                     "</section>")  # fmt: skip
    title = f"{k['pref_name']} {k['muni_name']}（{k['muni_code']}）"
    rank = k["rank"]
    ranked = (f"{html.escape(rank['label'])}: {html.escape(number(rank['value'], digits=1))}（{rank['position']} 位 / "
              f"{rank['of']}）" if rank["position"] else "")  # fmt: skip
    return f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>{html.escape(title)} カルテ</title>
<style>{_CSS}</style></head><body>
<header><h1>{html.escape(title)} 交通・拠点カルテ</h1>
<p>{html.escape(k["run"]["title"] or k["run"]["name"])}</p><p>{ranked}</p>
<p><a href="index.html">カルテ一覧へ</a> ・ <a href="{html.escape(k["muni_code"])}.json">JSON</a></p></header>
<section><h2>{html.escape(k["map"]["title"])}</h2><figure>{svg}</figure></section>
{chr(10).join(parts)}
</body></html>
"""


def index_html(
    title: str, rows: list[dict[str, Any]], label: str, formats: tuple[str, ...], *, descending: bool = True
) -> str:
    """The index page: the set ranked, each カルテ linked."""
    body = []
    for r in rows:
        links = " ・ ".join(f'<a href="{html.escape(r["muni_code"])}.{f}">{f.upper()}</a>' for f in (*formats, "json"))
        body.append(f"<tr><td class=\"n\">{r['rank'] or '—'}</td><td>{html.escape(r['muni_code'])}</td>"
                    f"<td>{html.escape(r['pref_name'])}</td><td>{html.escape(r['muni_name'])}</td>"
                    f"<td class=\"n\">{html.escape(number(r['value'], digits=1))}</td><td>{links}</td></tr>")  # fmt: skip
    return f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>{html.escape(title)}: 市町村カルテ一覧</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(title)}: 市町村カルテ一覧</h1>
<p>{len(rows)} 市町村を「{html.escape(label)}」の{"大きい" if descending else "小さい"}順に並べています。地図の階級区分は全市町村で共通です。</p>
<table><tr><th>順位</th><th>コード</th><th>都道府県</th><th>市町村</th><th>{html.escape(label)}</th><th>カルテ</th></tr>
{chr(10).join(body)}
</table></body></html>
"""


# ------------------------------------------------------------------------------------------------------- PDF


def write_pdf(k: dict[str, Any], frames: dict[str, Any], classes: dict[str, Any], out: Any) -> None:
    """The カルテ on A4 portrait pages (595 × 842 pt): header, map and sections flowing onto further pages.

    IPAexGothic is embedded as TrueType (searchable text); no creation date is written, so the file is the same
    byte for byte when written again from the same run.
    """
    from matplotlib.backends.backend_pdf import PdfPages

    with font_context(), atomic_path(out) as tmp, PdfPages(tmp, metadata={"CreationDate": None, "ModDate": None,
                                                 "Creator": "geo karte", "Producer": "geo"}) as pdf:  # fmt: skip
        for page in pdf_pages(k, frames, classes):
            pdf.savefig(page)


REMEDY_KINDS = {"stop": "新設停留所", "zone": "デマンド区域", "route": "増便"}
CURVE_TITLES = {"hubs": ("拠点数とカバー人口（hubs_curve.csv）", "拠点"),
                "remedies": ("対策の数と交通空白の解消（remedies_curve.csv）", "対策")}  # fmt: skip


def curve_sections(curves: dict[str, list[dict[str, Any]]]) -> list[Section]:
    """Coverage against count: per k the greedy sequence and the exact optimum side by side."""
    out = []
    for key, rows in curves.items():
        heading, what = CURVE_TITLES[key]
        by_k: dict[int, dict[str, dict[str, Any]]] = {}
        for r in rows:
            by_k.setdefault(int(r["k"]), {})[str(r["method"])] = r
        table = []
        for k, methods in sorted(by_k.items()):
            greedy, exact = methods.get("greedy", {}), methods.get("exact", {})
            share = exact.get("share", greedy.get("share"))
            table.append((number(k), number(greedy.get("covered"), "人"), number(exact.get("covered"), "人"),
                          number(share * 100 if share is not None else None, "%"),
                          str(exact.get("sites") or greedy.get("sites") or "")))  # fmt: skip
        out.append(Section(heading, (f"{what}数", "逐次追加（貪欲法）", "最適（MCLP）", "割合（最適）", f"最適な{what}"),
                           tuple(table), ("割合: 拠点は需要全体に対する、対策は目的の交通空白に対するカバー率",)))  # fmt: skip
    return out


def remedy_sections(rem: dict[str, Any]) -> list[Section]:
    """Remedies of the run: each alone, the chosen set, and the set evaluated together."""
    pairs = [f"{p['definition']} {p['window']} 時" for p in rem["pairs"]]
    rows = tuple((r["remedy"], REMEDY_KINDS.get(r["kind"], r["kind"]),
                  *(number(v, "人") for v in r["gap_removed"]), "○" if r["chosen"] else "")
                 for r in rem["ranking"])  # fmt: skip
    out = [
        Section(
            "対策案ごとの交通空白の解消（単独で追加した場合、実行区域全体）", ("対策案", "種別", *pairs, "選定"), rows
        )
    ]
    chosen = tuple((number(r["order"]), r["remedy"], REMEDY_KINDS.get(r["kind"], r["kind"]), number(r["gain"], "人"),
                    number(r["cumulative"], "人")) for r in rem["chosen"])  # fmt: skip
    notes = tuple(f"{j['definition']} {j['window']} 時: 交通空白 {number(j['gap_baseline'], '人')} → 実施後 "
                  f"{number(j['gap_after'], '人')}（同時に評価した解消 {number(j['covered_joint'], '人')}、"
                  f"単独の和集合 {number(j['covered_model'], '人')}）" for j in rem["joint"])  # fmt: skip
    out.append(Section("選定した対策の組合せ（最大被覆、同時に評価）", ("順", "対策案", "種別", "追加の解消（目的の時間帯・定義の計）", "累計"), chosen,
                       notes))  # fmt: skip
    return out


def pdf_pages(k: dict[str, Any], frames: dict[str, Any], classes: dict[str, Any]) -> list[Any]:
    """The A4 pages as matplotlib figures (call inside :func:`geo.maps.static.font_context`)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=A4_IN)
    fig.text(0.06, 0.965, f"{k['pref_name']} {k['muni_name']}（{k['muni_code']}） 交通・拠点カルテ", fontsize=15,
             va="top")  # fmt: skip
    fig.text(0.06, 0.94, k["run"]["title"] or k["run"]["name"], fontsize=8.5, color="#555555", va="top")
    rank = k["rank"]
    if rank["position"]:
        fig.text(0.94, 0.94, f"{rank['label']}: {number(rank['value'], digits=1)}（{rank['position']} 位 / {rank['of']}）",
                 fontsize=8.5, ha="right", va="top")  # fmt: skip
    fig.text(0.06, 0.918, k["map"]["title"], fontsize=9, va="top")
    ax = fig.add_axes((0.06, 0.60, 0.56, 0.31))
    draw_map(ax, k, frames, classes)
    y = 0.585
    pages = [fig]
    for s in sections(k):
        fig, y = _pdf_section(fig, s, y, pages)
    return pages


_LINE = 0.0135  # one table line, in figure height
_BOTTOM = 0.05


def _pdf_section(fig: Any, s: Section, y: float, pages: list[Any]) -> tuple[Any, float]:
    from matplotlib.figure import Figure

    need = _LINE * (2.6 + min(len(s.rows), 4))
    if y - need < _BOTTOM:
        fig = Figure(figsize=A4_IN)
        pages.append(fig)
        y = 0.95
    fig.text(0.06, y, s.heading, fontsize=9.5, va="top", color="#2b5d8a")
    y -= _LINE * 1.35
    widths = _column_x(s)
    for i, label in enumerate(s.columns):
        fig.text(widths[i], y, label, fontsize=7, va="top", color="#555555")
    y -= _LINE
    for row in s.rows:
        if y < _BOTTOM:
            fig = Figure(figsize=A4_IN)
            pages.append(fig)
            y = 0.95
        for i, value in enumerate(row):
            fig.text(widths[i], y, _clip(value, widths, i), fontsize=7, va="top")
        y -= _LINE
    for note in s.notes:
        for line in _wrap(note, 150):
            if y < _BOTTOM:
                fig = Figure(figsize=A4_IN)
                pages.append(fig)
                y = 0.95
            fig.text(0.06, y, line, fontsize=6.3, va="top", color="#555555")
            y -= _LINE * 0.85
    return fig, y - _LINE * 0.6


def _column_x(s: Section) -> list[float]:
    """Left edges of the columns: each as wide as its longest text at 7 pt (shrunk to fit 0.06–0.94)."""
    lengths = [max([_width(c)] + [_width(r[i]) for r in s.rows if i < len(r)]) for i, c in enumerate(s.columns)]
    widths = [min(n, 70) * _CHAR + 0.025 for n in lengths]
    scale = min(1.0, 0.88 / sum(widths))
    xs, x = [], 0.06
    for w in widths:
        xs.append(x)
        x += w * scale
    return [*xs, 0.94]


_CHAR = 3.6 / 595  # one half-width character at 7 pt, in A4 page widths


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(text))


def _clip(text: str, xs: list[float], i: int) -> str:
    room = int((xs[i + 1] - xs[i] - 0.01) / _CHAR)
    if _width(text) <= room:
        return text
    out = ""
    for ch in text:
        if _width(out + ch) > room - 1:
            return out + "…"
        out += ch
    return out


def _short(text: str, width: int) -> str:
    """Text cut to ``width`` half-width characters with 「…」."""
    if _width(text) <= width:
        return text
    out = ""
    for ch in text:
        if _width(out + ch) > width - 2:
            break
        out += ch
    return out + "…"


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for ch in text:
        if _width(line + ch) > width:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line] if line else lines
