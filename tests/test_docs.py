"""Docs that are generated from code stay in step with it."""

from __future__ import annotations

from chatlog_cli.schema import (
    schema_markdown,
    sentiment_schema_markdown,
    session_schema_markdown,
    tag_schema_markdown,
)
from conftest import REPO


def test_schema_doc_matches_schema_module() -> None:
    text = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    block = text.split("<!-- schema:start -->\n", 1)[1].split("<!-- schema:end -->", 1)[0]
    assert block == schema_markdown(), (
        "regenerate the table in docs/schema.md from chatlog_cli.schema.schema_markdown()"
    )


def test_schema_doc_matches_session_schema() -> None:
    text = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    block = text.split("<!-- sessions:start -->\n", 1)[1].split("<!-- sessions:end -->", 1)[0]
    assert block == session_schema_markdown(), "regenerate the sessions table in docs/schema.md"


def test_schema_doc_matches_tag_schema() -> None:
    text = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    block = text.split("<!-- tags:start -->\n", 1)[1].split("<!-- tags:end -->", 1)[0]
    assert block == tag_schema_markdown(), "regenerate the tags table in docs/schema.md"


def test_schema_doc_matches_sentiment_schema() -> None:
    text = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    block = text.split("<!-- sentiment:start -->\n", 1)[1].split("<!-- sentiment:end -->", 1)[0]
    assert block == sentiment_schema_markdown(), "regenerate the sentiment table in docs/schema.md"


def test_tagging_doc_example_is_a_valid_rules_file(tmp_path) -> None:
    from chatlog_cli.tagging.rules import load_rules
    from chatlog_cli.tagging.tagger import Tagger

    text = (REPO / "docs" / "tagging.md").read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "rules.toml"
    path.write_text(example, encoding="utf-8")
    tagger = Tagger(load_rules(path))
    assert tagger.tags_of_text("直播间说的赠品呢") == ["优惠-优惠券/价格", "直播间", "优惠"]
    assert "地址修改" not in tagger.rules.by_tag
    assert tagger.tags_of_text("我不退款了") == []


def test_mapping_doc_example_is_a_valid_mapping(tmp_path) -> None:
    from chatlog_cli.platforms.mapping import load_mapping

    text = (REPO / "docs" / "mapping.md").read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "mapping.toml"
    path.write_text(example, encoding="utf-8")
    fmt = load_mapping(path)
    assert fmt.platform == "douyin"


def test_querying_doc_sql_examples_run(tmp_path) -> None:
    import re

    from chatlog_cli.find.sql import run_query
    from chatlog_cli.importer import import_files
    from chatlog_cli.store.store import Store
    from conftest import FIXTURES

    import_files([str(FIXTURES / "jd" / "basic.log"), str(FIXTURES / "jd" / "session_list.csv")], tmp_path / "s")
    text = (REPO / "docs" / "querying.md").read_text(encoding="utf-8")
    queries = [" ".join(q.split()) for q in re.findall(r'chatlog sql "([^"]+)"', text)]
    assert len(queries) >= 3
    store = Store.open(tmp_path / "s")
    for query in queries:
        assert run_query(store, query).num_rows > 0, query


def test_reports_doc_options_exist() -> None:
    """Every --option docs/reports.md mentions is an option of some `chatlog report` command."""
    import re

    from typer.testing import CliRunner

    from chatlog_cli.cli import app

    text = (REPO / "docs" / "reports.md").read_text(encoding="utf-8")
    helps = " ".join(
        CliRunner().invoke(app, ["report", command, "--help"], env={"COLUMNS": "400"}).output
        for command in ("frequency", "pivot", "agents", "hourly", "weekly")
    )
    mentioned = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", text))
    assert {"--week", "--rows", "--service-hours", "--key-file", "--dict"} <= mentioned
    missing = sorted(option for option in mentioned if option not in helps)
    assert missing == []
