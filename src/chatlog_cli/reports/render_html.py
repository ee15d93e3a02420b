"""A report as one self-contained HTML page, made for reading on a phone (and fine on a desktop and on paper).

Self-contained means the file names no URL: CSS inline, charts as inline SVG (`render_svg`), no script, no
web font (the system's Chinese font: PingFang on iPhones and Macs, the vendor's on Android, YaHei on Windows).
A shop owner opens it from a work chat, offline or behind a firewall, and sees all of it.

Every piece of text passes `html.escape`: tag names, nicks and chat snippets are buyers' and agents' words.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any, Final

from chatlog_cli.reports.formatting import format_value, is_number_kind
from chatlog_cli.reports.model import Kind, Report, Section, Table
from chatlog_cli.reports.render_common import (
    cell_text,
    filter_items,
    generated_text,
    no_data_text,
    period_parts,
    period_text,
)
from chatlog_cli.reports.render_svg import Series, bar_chart, chart_series, heat_colours, line_charts

# A heat table's lowest and highest value and the columns shaded.
Heat = tuple[float, float, set[int]]
# Tables of headline numbers (a column whose kind is the row's, few rows, no chart) show as tiles.
MAX_TILES: Final = 12
# Text cells longer than this wrap (and get a minimum width); shorter ones stay on one line.
LONG_TEXT: Final = 14

FONTS: Final = (
    '-apple-system, BlinkMacSystemFont, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", "Segoe UI", Roboto, sans-serif'
)

# Red for a rise and green for a fall, as in 生意参谋 and 京东商智 where shop owners read their numbers every
# day; the sign (+/-) says the same for anyone reading without colour.
CSS: Final = """
:root{--ink:#111827;--sub:#4b5563;--muted:#6b7280;--line:#e5e7eb;--bg:#f3f4f6;--card:#fff;--accent:#2563eb;
--up:#dc2626;--down:#059669;color-scheme:light}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.6 FONTS;font-variant-numeric:tabular-nums}
.hero{background:linear-gradient(135deg,#1e3a8a,#2563eb);color:#fff;padding:22px 0 18px}
.hero .wrap{padding:0 16px}
.wrap{max-width:980px;margin:0 auto}
.hero h1{margin:0 0 10px;font-size:23px;line-height:1.3;letter-spacing:.5px}
.period{margin:0;font-size:16px;font-weight:600}
.period .days{font-weight:400;margin-left:6px}
.prev{margin:2px 0 0;font-size:13px;opacity:.85}
.meta{display:flex;flex-wrap:wrap;gap:6px;margin:12px 0 0;padding:0;list-style:none;font-size:12.5px}
.meta li{background:rgba(255,255,255,.16);border-radius:999px;padding:2px 10px;overflow-wrap:anywhere}
main{padding:0 12px 28px}
.toc{display:flex;gap:8px;overflow-x:auto;padding:12px 0 4px;scrollbar-width:none}
.toc a{flex:none;color:var(--accent);background:#fff;border:1px solid #dbeafe;border-radius:999px;
padding:3px 12px;font-size:13px;text-decoration:none}
h2{font-size:18px;margin:22px 2px 10px;padding-left:10px;border-left:4px solid var(--accent);line-height:1.3}
.card{background:var(--card);border-radius:14px;box-shadow:0 1px 3px rgba(15,23,42,.07);padding:14px 14px 12px;
margin:0 0 12px}
.card h3{font-size:15.5px;margin:0 0 10px;line-height:1.4}
.chart{margin:0 0 10px}
.chart figcaption{font-size:12.5px;color:var(--muted);margin:0 0 4px}
.chart svg{display:block;width:100%;height:auto}
.chart svg+svg{margin-top:8px}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 0 0;padding:0;list-style:none;font-size:12.5px;
color:var(--sub)}
.legend i{display:inline-block;width:10px;height:10px;border-radius:3px;margin-right:5px;vertical-align:-1px}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);border-radius:10px;
background:linear-gradient(to left,#fff 40%,rgba(255,255,255,0)) right/36px 100% no-repeat local,
radial-gradient(farthest-side at 100% 50%,rgba(15,23,42,.16),transparent) right/12px 100% no-repeat scroll #fff}
table{border-collapse:separate;border-spacing:0;width:100%;font-size:14px}
th,td{padding:7px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;color:var(--sub);font-size:12.5px;background:#f9fafb;white-space:nowrap}
td:first-child{background:#fff}
td.t{white-space:nowrap}
td.long{white-space:normal;min-width:12em;max-width:22em;overflow-wrap:anywhere}
.num{text-align:right;white-space:nowrap}
tbody tr:last-child td{border-bottom:0}
tfoot td{font-weight:700;background:#f9fafb;border-top:1px solid #d1d5db;border-bottom:0}
th:first-child,td:first-child{position:sticky;left:0;z-index:1;box-shadow:1px 0 0 var(--line)}
.up{color:var(--up)}.down{color:var(--down)}
.heat th,.heat td{padding:4px 3px;font-size:12px;text-align:center}
.heat th:first-child,.heat td:first-child{padding:4px 6px}
.heat td.h{border-bottom:1px solid #fff;border-right:1px solid #fff}
.scale{display:flex;align-items:center;gap:3px;margin:8px 0 0;font-size:12px;color:var(--muted)}
.scale i{display:inline-block;width:22px;height:10px;border-radius:2px}
.scale span{margin:0 4px}
.kpis{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:10px}
.kpi{border:1px solid var(--line);border-radius:12px;padding:10px 12px;background:#fcfcfd}
.kpi .k{font-size:13px;color:var(--sub)}
.kpi .v{font-size:22px;font-weight:700;line-height:1.35;margin:2px 0}
.kpi .s{font-size:12px;color:var(--muted);display:flex;flex-direction:column;line-height:1.5}
.kpi .s b{font-weight:600}
.notes{margin:10px 0 0;padding-left:18px;color:var(--muted);font-size:12.5px;line-height:1.55}
.notes code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.95em;background:#f3f4f6;border-radius:4px;
padding:0 4px}
section>.notes{margin:-2px 4px 12px}
.empty{text-align:center;color:var(--sub);padding:36px 16px;font-size:15px;margin-top:16px}
footer{color:var(--muted);font-size:12px;text-align:center;padding:8px 12px 28px}
@media (min-width:640px){.kpis{grid-template-columns:repeat(4,minmax(0,1fr))}
.hero{padding:30px 0 24px}.hero .wrap,main{padding:0 24px}main{padding-bottom:32px}.hero h1{font-size:28px}
.card{padding:18px 20px 14px}}
@media (min-width:860px){.split .body{display:grid;grid-template-columns:minmax(0,1.15fr) minmax(0,1fr);gap:20px;
align-items:start}.split .chart{margin:0}}
@media print{body{background:#fff;font-size:12px}.hero{background:none;color:#000;padding:0 0 8px;
border-bottom:2px solid #000}.meta li{background:none;border:1px solid #999}.toc{display:none}
.card{box-shadow:none;border:1px solid #ddd;break-inside:avoid}.scroll{overflow:visible}
th:first-child,td:first-child{position:static}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
""".replace("FONTS", FONTS)


def render_html(report: Report) -> str:
    """The whole report as one HTML document: header, section links, sections of cards, notes, footer."""
    if report.empty:
        body = f'<main class="wrap"><div class="card empty">{escape(no_data_text(report))}</div></main>'
    else:
        body = "".join(
            [
                '<main class="wrap">',
                _toc(report.sections),
                *(_section(s) for s in report.sections),
                _report_notes(report.notes),
                "</main>",
            ]
        )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="format-detection" content="telephone=no">'
        f"<title>{escape(_document_title(report))}</title><style>{CSS}</style></head><body>"
        f"{_header(report)}{body}{_footer(report)}</body></html>\n"
    )


def _document_title(report: Report) -> str:
    return report.title if report.period is None else f"{report.title} {report.period.label}"


def _header(report: Report) -> str:
    """Title, period (and the one compared with), then chips: conversations, filters, when it was made."""
    parts = [f'<header class="hero"><div class="wrap"><h1>{escape(report.title)}</h1>']
    if report.period is not None:
        label, *days = period_parts(report.period)
        days_html = "".join(f'<span class="days">{escape(d)}</span>' for d in days)
        parts.append(f'<p class="period">{escape(label)}{days_html}</p>')
    if report.previous is not None:
        parts.append(f'<p class="prev">对比 {escape(period_text(report.previous))}</p>')
    chips = [] if report.empty else [f"会话 {report.conversations:,}"]
    chips += [f"{label}：{value}" for label, value in filter_items(report.filters)]
    if report.generated_at is not None:
        chips.append(f"生成于 {generated_text(report.generated_at)}")
    parts.append('<ul class="meta">' + "".join(f"<li>{escape(c)}</li>" for c in chips) + "</ul>")
    return "".join(parts) + "</div></header>"


def _toc(sections: list[Section]) -> str:
    """Links to the sections, for thumbs: a weekly report is long on a phone."""
    if len(sections) < 2:
        return ""
    links = "".join(f'<a href="#s-{_slug(s.key)}">{escape(s.title)}</a>' for s in sections)
    return f'<nav class="toc" aria-label="目录">{links}</nav>'


def _section(section: Section) -> str:
    cards = "".join(_card(t) for t in section.tables)
    notes = _notes(section.notes)
    return f'<section id="s-{_slug(section.key)}"><h2>{escape(section.title)}</h2>{cards}{notes}</section>'


def _card(table: Table) -> str:
    """A table in its card: the chart (if any) above the numbers, side by side on a wide screen."""
    chart = table.chart
    if chart is not None and chart.kind in ("line", "bar") and table.rows:
        body = _chart(table) + _table(table)
        css = "card split"
    elif chart is not None and chart.kind == "heat":
        body, css = _heat_table(table), "card"
    elif _is_metrics(table):
        body, css = _tiles(table), "card"
    else:
        body, css = _table(table), "card"
    return (
        f'<article class="{css}" id="t-{_slug(table.key)}"><h3>{escape(table.title)}</h3>'
        f'<div class="body">{body}</div>{_notes(table.notes)}</article>'
    )


def _chart(table: Table) -> str:
    """The chart's figure: its SVGs (a line chart draws one per kind of value), a legend."""
    assert table.chart is not None
    labels, series = chart_series(table, table.chart)
    if table.chart.kind == "bar":
        svgs = [bar_chart(table.chart.title, labels, series)]
    else:
        svgs = line_charts(table.chart.title, labels, series)
    caption = "" if table.chart.title == table.title else f"<figcaption>{escape(table.chart.title)}</figcaption>"
    # A single bar series needs no legend: the caption and the table's header already name it.
    legend = "" if table.chart.kind == "bar" and len(series) == 1 else _legend(series)
    return f'<figure class="chart" id="chart-{_slug(table.key)}">{caption}{"".join(svgs)}{legend}</figure>'


def _legend(series: list[Series]) -> str:
    items = "".join(f'<li><i style="background:{s.colour}"></i>{escape(s.header)}</li>' for s in series)
    return f'<ul class="legend">{items}</ul>'


def _table(table: Table, heat: Heat | None = None) -> str:
    """The table in a box that scrolls sideways on its own, so the page itself never does."""
    head = "".join(
        f'<th scope="col" class="{_align(table, c)}">{escape(col.header)}</th>' for c, col in enumerate(table.columns)
    )
    rows = "".join(
        "<tr>" + "".join(_td(table, r, c, v, heat) for c, v in enumerate(row)) + "</tr>"
        for r, row in enumerate(table.rows)
    )
    foot = ""
    if table.total is not None:
        foot = (
            "<tfoot><tr>" + "".join(_td(table, None, c, v, None) for c, v in enumerate(table.total)) + "</tr></tfoot>"
        )
    css = ' class="heat"' if heat is not None else ""
    return f'<div class="scroll"><table{css}><thead><tr>{head}</tr></thead><tbody>{rows}</tbody>{foot}</table></div>'


def _align(table: Table, column: int) -> str:
    return "num" if is_number_kind(table.kind_of(0 if table.rows else None, column)) else "t"


def _td(table: Table, row: int | None, column: int, value: Any, heat: Heat | None) -> str:
    """One cell: right-aligned when a number, red or green when a change, shaded when in a heat table."""
    kind = table.kind_of(row, column)
    text = cell_text(table, row, column, value)
    # Short text stays on one line (the box scrolls); chat snippets wrap inside a readable measure.
    css = "num" if is_number_kind(kind) else "t long" if len(text) > LONG_TEXT else "t"
    classes = [css, _trend(kind, value)]
    style = ""
    if heat is not None and column in heat[2] and isinstance(value, int | float):
        background, colour = heat_colours(float(value), heat[0], heat[1])
        style = f' style="background:{background};color:{colour}"'
        classes = ["h"]
    return f'<td class="{" ".join(c for c in classes if c)}"{style}>{_text(text)}</td>'


def _text(text: str) -> str:
    """Cell text as HTML: escaped, its line breaks kept (a chat message can have several lines)."""
    return "<br>".join(escape(line) for line in text.splitlines()) if "\n" in text or "\r" in text else escape(text)


def _class(name: str) -> str:
    return f' class="{name}"' if name else ""


def _trend(kind: Kind, value: Any) -> str:
    """The colour class of a change: `up`, `down`, or none (no change, or not a change)."""
    if kind not in ("change", "points") or not isinstance(value, int | float) or not value:
        return ""
    return "up" if value > 0 else "down"


def _heat_table(table: Table) -> str:
    """The table itself, its charted cells shaded light (least) to dark (most), with a scale under it."""
    assert table.chart is not None
    keys = [c.key for c in table.columns]
    columns = {keys.index(k) for k in table.chart.series}
    values = [float(row[c]) for row in table.rows for c in columns if isinstance(row[c], int | float)]
    if not values:
        return _table(table)
    low, high = min(values), max(values)
    steps = "".join(
        f'<i style="background:{heat_colours(low + (high - low) * k / 4, low, high)[0]}"></i>' for k in range(5)
    )
    kind = table.kind_of(0, min(columns))
    scale = (
        f'<p class="scale" aria-hidden="true">少<span>{escape(format_value(kind, low))}</span>{steps}'
        f"<span>{escape(format_value(kind, high))}</span>多</p>"
    )
    return _table(table, (low, high, columns)) + scale


def _is_metrics(table: Table) -> bool:
    kinds = [c.kind for c in table.columns]
    return "row" in kinds and kinds[0] == "text" and 0 < len(table.rows) <= MAX_TILES


def _tiles(table: Table) -> str:
    """Headline numbers as tiles: the label, the value large, then the other columns (changes first) small."""
    main = [c.kind for c in table.columns].index("row")
    rest = sorted(
        (c for c in range(1, len(table.columns)) if c != main), key=lambda c: table.columns[c].kind != "row_change"
    )
    rows: list[tuple[int | None, tuple[Any, ...]]] = list(enumerate(table.rows))
    if table.total is not None:
        rows.append((None, table.total))
    tiles = []
    for r, row in rows:
        subs = "".join(
            f"<span>{escape(table.columns[c].header)} <b{_class(_trend(table.kind_of(r, c), row[c]))}>"
            f"{_text(cell_text(table, r, c, row[c]))}</b></span>"
            for c in rest
        )
        tiles.append(
            f'<div class="kpi"><div class="k">{_text(cell_text(table, r, 0, row[0]))}</div>'
            f'<div class="v">{_text(cell_text(table, r, main, row[main]))}</div><div class="s">{subs}</div></div>'
        )
    return f'<div class="kpis">{"".join(tiles)}</div>'


def _notes(notes: list[str]) -> str:
    return f'<ul class="notes">{"".join(f"<li>{_note(n)}</li>" for n in notes)}</ul>' if notes else ""


def _note(note: str) -> str:
    """A note, its `command` spans as code: notes are written once for the Markdown and the HTML."""
    return re.sub(r"`([^`<>]+)`", r"<code>\1</code>", escape(note))


def _report_notes(notes: list[str]) -> str:
    return f'<section class="card" id="notes"><h3>说明</h3>{_notes(notes)}</section>' if notes else ""


def _footer(report: Report) -> str:
    made = f" · {generated_text(report.generated_at)}" if report.generated_at is not None else ""
    return f'<footer class="wrap">由 chatlog 生成{escape(made)}</footer>'


def _slug(key: str) -> str:
    """An HTML id from a table or section key: the key itself when plain ASCII, else its UTF-8 bytes in hex.

    Hex rather than dropping characters, so two keys never share an id (`概览` and `客服` would both be empty).
    """
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else "k" + key.encode().hex()
