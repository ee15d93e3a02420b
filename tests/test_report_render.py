"""Markdown and HTML renderers: every number shows, as `format_value` writes it, and nothing from the data runs."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from chatlog_cli.reports.formatting import format_value
from chatlog_cli.reports.model import Chart, Column, Report, Section, Table
from chatlog_cli.reports.render_html import render_html
from chatlog_cli.reports.render_markdown import render_markdown
from chatlog_cli.reports.render_svg import nice_ticks
from report_samples import SCRIPT, empty, weekly


def expected_rows(table: Table) -> list[list[str]]:
    """The table's cells as the spec says they read: `format_value` by the cell's kind; an empty total label 合计."""
    rows = [[format_value(table.kind_of(r, c), v) for c, v in enumerate(row)] for r, row in enumerate(table.rows)]
    if table.total is not None:
        rows.append(
            [
                "合计" if v is None and c == 0 else format_value(table.kind_of(None, c), v)
                for c, v in enumerate(table.total)
            ]
        )
    return rows


@pytest.fixture(scope="module")
def report() -> Report:
    return weekly()


@pytest.fixture(scope="module")
def markdown(report: Report) -> str:
    return render_markdown(report)


@pytest.fixture(scope="module")
def page(report: Report) -> str:
    return render_html(report)


# --- Markdown -------------------------------------------------------------------------------------------------


def split_md_row(line: str) -> list[str]:
    """A Markdown table line's cells, split on unescaped pipes, with the Markdown escapes undone."""
    assert line.startswith("| ") and line.endswith(" |"), line
    cells = re.split(r"(?<!\\) \| ", line[2:-2])
    return [re.sub(r"\\(.)", r"\1", cell).replace("<br>", "\n") for cell in cells]


def md_table(markdown: str, title: str) -> list[str]:
    """The table lines under `### title`."""
    block = markdown.split(f"\n### {title}\n\n", 1)[1]
    return [line for line in block.split("\n\n", 1)[0].splitlines() if line.startswith("|")]


def test_markdown_has_title_period_sections_and_tables(report: Report, markdown: str) -> None:
    assert markdown.startswith("# 客服周报\n")
    assert "2026-W47（2026-11-16 ~ 2026-11-22）" in markdown
    assert "对比：2026-W46（2026-11-09 ~ 2026-11-15）" in markdown
    assert "店铺：山海小铺" in markdown
    for section in report.sections:
        assert f"\n## {section.title}\n" in markdown
    for table in report.tables():
        assert f"\n### {table.title}\n" in markdown


def test_markdown_tables_hold_every_formatted_cell(report: Report, markdown: str) -> None:
    for table in report.tables():
        lines = md_table(markdown, table.title)
        assert split_md_row(lines[0]) == [c.header for c in table.columns]
        body = [split_md_row(line) for line in lines[2:]]
        if table.total is not None:
            assert all(cell.startswith("**") and cell.endswith("**") for cell in body[-1]), lines[-1]
            body[-1] = [cell.strip("*") for cell in body[-1]]
        assert body == expected_rows(table), table.key


def test_markdown_rows_have_as_many_columns_as_the_header(report: Report, markdown: str) -> None:
    for table in report.tables():
        for line in md_table(markdown, table.title):
            assert len(re.findall(r"(?<!\\)\|", line)) == len(table.columns) + 1, line


def test_markdown_aligns_numbers_right(report: Report, markdown: str) -> None:
    assert md_table(markdown, "热门标签")[1] == "| :--- | ---: | ---: | ---: |"
    assert md_table(markdown, "核心指标")[1] == "| :--- | ---: | ---: | ---: |"
    assert md_table(markdown, "需要关注的消息")[1] == "| :--- | :--- | :--- |"


def test_markdown_escapes_pipes_newlines_and_html(markdown: str) -> None:
    assert "tb_小王\\|88" in markdown
    assert "为什么还没发货 \\| 再不发" in markdown
    assert "鞋子磨脚<br>想换大一码" in markdown
    assert not re.search(r"(?<!\\)<script>", markdown) and "\\<script>" in markdown


def test_markdown_notes(report: Report, markdown: str) -> None:
    assert "> - 一个会话可有多个标签，占比之和可超过 100%。" in markdown
    assert "- 标签来自 `chatlog tag` 的规则。" in markdown
    tail = markdown.split("**说明**", 1)[1]
    for note in report.notes:
        assert f"- {note}" in tail


def test_markdown_of_an_empty_report_says_there_is_no_data() -> None:
    text = render_markdown(empty())
    assert text.startswith("# 客服周报\n")
    assert "该时间段内没有数据（2026-W47，2026-11-16 ~ 2026-11-22，店铺：山海小铺）" in text
    assert "|" not in text and "##" not in text


# --- HTML -----------------------------------------------------------------------------------------------------


class Page(HTMLParser):
    """What a browser would see: elements, text, and each card's table cells and tiles as text."""

    VOID = frozenset({"meta", "br", "circle", "line", "rect", "polyline", "path", "input", "img", "link"})

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []
        self.text: list[str] = []
        self.cards: dict[str, list[list[str]]] = {}  # article id → rows of cell text
        self.card: str | None = None
        self.cell: list[str] | None = None
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "article":
            self.card = attributes["id"]
            self.cards[self.card or ""] = []
        if tag == "tr" and self.card:
            self.cards[self.card].append([])
        if tag in ("td", "th"):
            self.cell = []
        if tag == "br" and self.cell is not None:
            self.cell.append("\n")
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()
        if tag in ("td", "th") and self.cell is not None and self.card:
            self.cards[self.card][-1].append("".join(self.cell))
            self.cell = None
        if tag == "article":
            self.card = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)


@pytest.fixture(scope="module")
def parsed(page: str) -> Page:
    return Page(page)


def test_html_is_a_balanced_document_for_phones(page: str, parsed: Page) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert parsed.open == []
    html_tag = next(attrs for tag, attrs in parsed.tags if tag == "html")
    assert html_tag["lang"] == "zh-CN"
    metas = [attrs for tag, attrs in parsed.tags if tag == "meta"]
    assert any(m.get("name") == "viewport" and "width=device-width" in (m.get("content") or "") for m in metas)
    assert "PingFang SC" in page and "Microsoft YaHei" in page
    assert "overflow-x:auto" in page and "@media print" in page


def test_html_loads_nothing_from_outside(page: str, parsed: Page) -> None:
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", page, re.IGNORECASE)
    assert not re.search(r"\bsrc\s*=|@import|url\(", page, re.IGNORECASE)
    assert not [tag for tag, _ in parsed.tags if tag in ("script", "link", "img", "iframe", "object", "embed")]
    assert all((attrs.get("href") or "#").startswith("#") for tag, attrs in parsed.tags if tag == "a"), (
        "only in-page links"
    )


def test_html_escapes_text_from_the_data(page: str, parsed: Page) -> None:
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    text = "".join(parsed.text)
    assert SCRIPT in text  # shown as text, exactly as the buyer wrote it
    assert 'A&B "引号" 与 <b>粗体</b>' in text
    assert parsed.cards["t-samples"][3][2] == 'A&B "引号" 与 <b>粗体</b>'  # text, not a <b> element


def test_html_header_shows_period_filters_and_time(parsed: Page) -> None:
    text = "".join(parsed.text)
    for words in ("客服周报", "2026-W47", "2026-11-16 ~ 2026-11-22", "对比 2026-W46", "店铺：山海小铺", "平台：taobao"):
        assert words in text
    assert "生成于 2026-11-23 08:00" in text
    assert "会话 1,284" in text


def test_html_tables_hold_every_formatted_cell(report: Report, parsed: Page) -> None:
    text = "".join(parsed.text)
    for table in report.tables():
        assert table.title in text
        rows = parsed.cards[f"t-{table.key}"]
        if table.key == "overview":
            continue  # tiles, below
        assert rows[0] == [c.header for c in table.columns]
        assert rows[1:] == expected_rows(table), table.key


def test_html_overview_tiles_show_every_cell_of_their_row(report: Report, page: str) -> None:
    table = report.table("overview")
    tiles = re.findall(r'<div class="kpi">(.*?)</div></div>', page)
    assert len(tiles) == len(table.rows)
    for tile, expected in zip(tiles, expected_rows(table), strict=True):
        plain = re.sub(r"<[^>]+>", "|", tile)
        assert [cell for cell in expected if f"|{cell}|" not in plain] == [], tile
        assert all(c.header in plain for c in table.columns[2:])


def test_html_numbers_right_and_changes_signed_and_coloured(page: str) -> None:
    assert re.search(r'<td class="num">312</td>', page)
    assert re.search(r'<td class="num up">\+18\.0%</td>', page)
    assert re.search(r'<td class="num down">-25\.0%</td>', page)
    assert re.search(r'<td class="num down">-2\.2pt</td>', page)
    assert re.search(r'<td class="num">–</td>', page)  # no change to compare: no colour
    assert re.search(r'<b class="up">\+25\.0%</b>', page)  # in a tile
    assert re.search(r'<td class="t">物流-催发货</td>', page)


def figure(page: str, key: str) -> str:
    found = re.search(rf'<figure class="chart" id="chart-{key}">(.*?)</figure>', page)
    assert found, f"no chart for {key}"
    return found.group(1)


def test_html_line_chart_draws_each_series_with_points_and_labels(report: Report, page: str) -> None:
    chart = figure(page, "daily")
    svgs = re.findall(r"<svg viewBox=\"0 0 \d+ \d+\".*?</svg>", chart)
    assert len(svgs) == 2  # counts and seconds do not share an axis
    assert chart.count("<polyline") == 3
    assert chart.count("<circle") == 3 * 7
    for day in ("11-16", "11-22", "周一", "周日"):
        assert f">{day}</tspan>" in chart
    assert ">1分</text>" in chart and ">200</text>" in chart
    assert "会话数" in chart and "平均首响" in chart  # legend


def test_html_bar_chart_has_a_bar_and_value_per_row(report: Report, page: str) -> None:
    chart = figure(page, "tags")
    table = report.table("tags")
    assert chart.count("<svg") == 1
    assert len(re.findall(r'<rect [^>]*fill="#2563eb"', chart)) == len(table.rows)
    for tag, count, *_ in table.rows:
        assert f"<title>{tag}</title>" in chart and f">{count}</text>" in chart
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)" [^>]*fill="#2563eb"', chart)]
    assert widths == sorted(widths, reverse=True) and widths[0] > 4 * widths[-1]


def test_html_heat_table_shades_each_hour_and_day(report: Report, page: str) -> None:
    card = re.search(r'<article class="card" id="t-hours">(.*?)</article>', page)
    assert card and '<table class="heat">' in card.group(1)
    shaded = re.findall(
        r'<td class="h" style="background:(#[0-9a-f]{6});color:(#[0-9a-f]{6})">(\d+)</td>', card.group(1)
    )
    assert len(shaded) == 24 * 7
    by_value = {int(v): (bg, fg) for bg, fg, v in shaded}
    assert by_value[47] == ("#1e3a8a", "#ffffff")  # the busiest hour is darkest, its text white
    assert by_value[2][1] == "#0f172a"  # the quietest is light, its text dark
    assert "<svg" not in card.group(1)


def test_html_notes(report: Report, parsed: Page) -> None:
    text = "".join(parsed.text)
    for note in [*report.notes, *(n for t in report.tables() for n in t.notes)]:
        assert note in text


def test_html_of_an_empty_report_says_there_is_no_data() -> None:
    page = render_html(empty())
    parsed = Page(page)
    assert "该时间段内没有数据（2026-W47，2026-11-16 ~ 2026-11-22，店铺：山海小铺）" in "".join(parsed.text)
    assert "<table" not in page and "<svg" not in page


def test_nice_ticks_cover_the_values() -> None:
    assert nice_ticks(0, 214) == [0, 100, 200, 300]
    assert nice_ticks(0, 0.884) == [0, 0.25, 0.5, 0.75, 1.0]
    ticks = nice_ticks(-0.25, 0.41)
    assert ticks[0] <= -0.25 and ticks[-1] >= 0.41 and 0 in ticks


def test_odd_tables_render() -> None:
    """No rows, missing values, one point, Chinese keys: both renderers cope and ids stay unique."""
    columns = (Column("day", "日期"), Column("n", "会话数", "int"), Column("s", "占比", "share"))
    tables = [
        Table("空表", "空表", columns, chart=Chart("line", "趋势", "day", ("n",))),
        Table("缺值", "缺值", columns, rows=[("a", None, 0.5), ("b", 3, None), ("c", 5, 0.1)]),
        Table("单点", "单点", columns, rows=[("a", 0, 0.0)], chart=Chart("line", "趋势", "day", ("n", "s"))),
        Table("负值", "负值", columns, rows=[("a", -4, 0.2), ("b", 6, 0.1)], chart=Chart("bar", "条", "day", ("n",))),
    ]
    tables[1].chart = Chart("line", "趋势", "day", ("n", "s"))
    report = Report("x", "测试", None, sections=[Section("甲", "甲", tables[:2]), Section("乙", "乙", tables[2:])])
    report.conversations = 1
    page = render_html(report)
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids)) == 2 + 4 + 3  # sections, tables, charts of tables with rows
    assert Page(page).open == []
    assert figure(page, "k" + "缺值".encode().hex()).count("<polyline") == 1  # 会话数 b→c; 占比 has only lone points
    markdown = render_markdown(report)
    assert md_table(markdown, "空表") == ["| 日期 | 会话数 | 占比 |", "| :--- | ---: | ---: |"]
    assert split_md_row(md_table(markdown, "缺值")[2]) == ["a", "–", "50.0%"]
