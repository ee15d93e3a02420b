"""JD chat log specifics: layout quirks, typed messages, role inference, ZIP input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyarrow as pa
import pytest

from chatlog_cli.platforms.jd import SESSION_SENDERS_SCHEMA, resolve_roles
from conftest import FIXTURES, messages, run_import

BANNER = "/*****************以下为一通会话************************************/"


def import_text(tmp_path: Path, text: str, encoding: str = "utf-8") -> tuple[list[dict], object]:
    path = tmp_path / "chat.log"
    path.write_bytes(text.encode(encoding))
    result = run_import([path], tmp_path / "store").files[0]
    assert result.status == "imported", result.error
    return messages(tmp_path / "store"), result


def test_multiline_content_keeps_inner_blank_lines_and_drops_trailing_ones(tmp_path: Path) -> None:
    rows, _ = import_text(tmp_path, f"{BANNER}\nb 2026-10-01 10:00:00\n第一行\n\n第三行\n\n\n")
    assert rows[0]["content"] == "第一行\n\n第三行"


def test_sessions_close_on_end_marker_new_banner_or_eof(tmp_path: Path) -> None:
    text = (
        f"{BANNER}\nb1 2026-10-01 10:00:00\n一\n/*****************会话结束_时间：2026-10-01 10:05:00*****/\n"
        f"{BANNER}\nb2 2026-10-01 11:00:00\n二\n"
        f"{BANNER}\nb3 2026-10-01 12:00:00\n三\n会话结束\n"
        f"{BANNER}\nb4 2026-10-01 13:00:00\n四\n"
    )
    rows, result = import_text(tmp_path, text)
    assert [r["content"] for r in rows] == ["一", "二", "三", "四"]
    assert len({r["conversation_id"] for r in rows}) == 4
    assert "会话 4 通" in result.notes


def test_buyer_text_mentioning_session_end_is_content(tmp_path: Path) -> None:
    rows, _ = import_text(tmp_path, f"{BANNER}\nb 2026-10-01 10:00:00\n会话结束了吗？\n还在吗\n")
    assert rows[0]["content"] == "会话结束了吗？\n还在吗"


def test_unpadded_times_control_characters_and_tabs(tmp_path: Path) -> None:
    rows, _ = import_text(tmp_path, f"{BANNER}\nb\t2026-1-5 9:03:07\n你\x03好\t\n")
    assert rows[0]["sent_at"] == "2026-01-05T09:03:07+08:00"
    assert rows[0]["content"] == "你好"


def test_header_sender_and_time_found_by_position_equal_the_regex_captures() -> None:
    import random

    import numpy as np
    import pyarrow.compute as pc

    from chatlog_cli.platforms import jd

    rng = random.Random(11)
    nicks = ["b", "店铺名-小美", "店铺名 小美", "a\tb", "x(2026-10-01 10:00:00)", "1", "jimi_vender_1", "n 1"]
    stamps = ["2026-10-01 10:00:00", "2026-1-5 9:03:07", "2026-10-01T10:00:00", "2026-10-01 10:00:0"]
    lines = []
    for _ in range(3000):
        blank = rng.choice([" ", "\t", "  ", " \t", "\t ", "\t\t"])
        lines.append(rng.choice(nicks) + blank + rng.choice(stamps) + rng.choice(["", "", "", " ", "\t "]))
    array = pa.array(["正文", *lines, "再见"])  # not starting at the buffer's first byte
    rows = np.flatnonzero(pc.match_substring_regex(array, jd._HEADER_PATTERN).to_numpy(zero_copy_only=False))
    assert len(rows) == len(lines)
    senders, stamps_found = jd._split_headers(array, rows)
    expected = pc.extract_regex(pc.take(array, pa.array(rows)), jd._HEADER_PATTERN)
    assert senders.to_pylist() == pc.struct_field(expected, "sender").to_pylist()
    assert stamps_found.to_pylist() == pc.struct_field(expected, "ts").to_pylist()


def test_text_before_any_message_is_rejected_with_its_line(tmp_path: Path) -> None:
    from chatlog_cli.store import Store

    _, result = import_text(tmp_path, f"导出说明\n{BANNER}\nb 2026-10-01 10:00:00\n你好\n")
    assert result.rejected_rows == 1
    [reject] = Store.open(tmp_path / "store").read_rejects().to_pylist()
    assert (reject["source_line"], reject["reason_code"]) == (1, "outside_message")


def test_golden_fixture_types(store_dir: Path) -> None:
    run_import([FIXTURES / "jd" / "basic.log"], store_dir)
    by_type = {r["msg_type"]: r for r in messages(store_dir)}
    assert set(by_type) >= {"text", "card", "emoticon", "order_card", "image", "transfer", "recall"}
    assert by_type["order_card"]["order_id"] == "123456789012"
    assert by_type["order_card"]["product_id"] == "100012345678"


def test_role_inference_rules() -> None:
    sessions = [
        ("c1", ["buyer1", "jimi_vender_1", "店-小美"]),
        ("c2", ["buyer2", "店-小美"]),
        ("c3", ["buyer3", "店-小美", "店-新人"]),
        ("c4", ["店-小美", "buyer4"]),  # an agent speaking first does not make them the buyer
        ("c5", ["buyer5", "路人"]),
        ("c1", ["buyer1", "路人"]),  # the same session twice in one file: its first rows count
    ]
    senders = pa.Table.from_pylist(
        [
            {"session": number, "conversation_id": conversation, "sender": sender}
            for number, (conversation, names) in enumerate(sessions)
            for sender in names
        ],
        schema=SESSION_SENDERS_SCHEMA,
    )
    rows = resolve_roles(senders).to_pylist()
    assert len(rows) == 13
    roles = {(r["conversation_id"], r["sender"]): (r["sender_role"], r["buyer"]) for r in rows}
    assert roles[("c1", "jimi_vender_1")] == ("bot", "buyer1")
    assert roles[("c1", "店-小美")] == ("agent", "buyer1")
    assert roles[("c3", "店-新人")] == ("agent", "buyer3")  # same 店- prefix as a recurring agent
    assert roles[("c4", "buyer4")] == ("buyer", "buyer4")
    assert roles[("c4", "店-小美")][0] == "agent"
    assert roles[("c5", "路人")] == ("unknown", "buyer5")  # not enough evidence: never guessed
    assert roles[("c1", "路人")] == ("unknown", "buyer1")
    assert roles[("c2", "buyer2")] == ("buyer", "buyer2")


def test_agents_known_before_the_file_count_as_agents() -> None:
    sessions = [("c1", ["店-小美", "buyer1"]), ("c2", ["buyer2", "店-小美", "店-新人"]), ("c3", ["buyer3", "路人"])]
    senders = pa.Table.from_pylist(
        [
            {"session": number, "conversation_id": conversation, "sender": sender}
            for number, (conversation, names) in enumerate(sessions)
            for sender in names
        ],
        schema=SESSION_SENDERS_SCHEMA,
    )
    alone = {
        (r["conversation_id"], r["sender"]): (r["sender_role"], r["buyer"]) for r in resolve_roles(senders).to_pylist()
    }
    assert alone[("c1", "店-小美")] == ("buyer", "店-小美")  # two buyers are not enough evidence in one file
    assert alone[("c2", "店-小美")] == ("unknown", "buyer2")
    known = resolve_roles(senders, frozenset({"店-小美", "jimi_vender_9"}))
    roles = {(r["conversation_id"], r["sender"]): (r["sender_role"], r["buyer"]) for r in known.to_pylist()}
    assert roles[("c1", "店-小美")] == ("agent", "buyer1")  # speaking first does not make a known agent the buyer
    assert roles[("c1", "buyer1")] == ("buyer", "buyer1")
    assert roles[("c2", "店-新人")] == ("agent", "buyer2")  # the known agent's 店- prefix
    assert roles[("c3", "路人")] == ("unknown", "buyer3")


def _daily_log(agent: str, buyers: list[str], day: str) -> str:
    return "".join(
        "/*****************以下为一通会话************************************/\n"
        f"{buyer} 2026-10-{day} 10:0{n}:00\n在吗\n{agent} 2026-10-{day} 10:0{n}:30\n在的亲\n"
        for n, buyer in enumerate(buyers)
    )


@pytest.mark.parametrize("one_run", [True, False], ids=["one run", "two runs"])
def test_a_small_log_uses_the_agents_earlier_imports_found(tmp_path: Path, one_run: bool) -> None:
    """An agent who served three buyers yesterday is an agent today, when they serve one buyer."""
    yesterday, today = tmp_path / "d1.log", tmp_path / "d2.log"
    yesterday.write_text(_daily_log("店-小美", ["b****1", "b****2", "b****3"], "12"), encoding="utf-8")
    today.write_text(
        _daily_log("店-小美", ["b****4"], "13") + _daily_log("店-阿福", ["b****5"], "13"), encoding="utf-8"
    )
    store_dir = tmp_path / "store"
    alone = run_import([today], tmp_path / "alone").files[0]
    assert alone.unknown_roles == 2
    if one_run:
        results = run_import([yesterday, today], store_dir).files
    else:
        results = [run_import([p], store_dir).files[0] for p in (yesterday, today)]
    assert [r.unknown_roles for r in results] == [0, 0]
    roles = {(m["sender"], m["sent_at"][:10]): m["sender_role"] for m in messages(store_dir)}
    assert roles[("店-小美", "2026-10-13")] == "agent"
    assert roles[("店-阿福", "2026-10-13")] == "agent"  # the known agent's 店- prefix
    assert roles[("b****4", "2026-10-13")] == "buyer"


def test_handling_agent_follows_transfers(store_dir: Path) -> None:
    run_import([FIXTURES / "jd" / "basic.log"], store_dir)
    rows = [r for r in messages(store_dir) if r["buyer"] == "13****21"]
    assert [r["agent"] for r in rows] == ["山海小铺-小美", "山海小铺-小美", "山海小铺-小美", "山海小铺-阿杰"]


def test_zip_of_logs_imports_every_member(tmp_path: Path) -> None:
    archive = tmp_path / "京东聊天记录.zip"
    body = (FIXTURES / "jd" / "basic.log").read_text(encoding="utf-8")
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("2026-10/part1.txt", body)
        zf.writestr("2026-10/part2.txt", body.replace("2026-10-0", "2026-10-1"))
        zf.writestr("__MACOSX/._part1.txt", b"\x00\x05")
    report = run_import([archive], tmp_path / "store")
    assert [f.status for f in report.files] == ["imported", "imported"]
    assert report.files[0].source.endswith("京东聊天记录.zip!2026-10/part1.txt")
    assert len(messages(tmp_path / "store")) == 32
    assert {r["source_file"].split("!")[1] for r in messages(tmp_path / "store")} == {
        "2026-10/part1.txt",
        "2026-10/part2.txt",
    }


def test_chunk_boundaries_do_not_change_the_result(tmp_path: Path, monkeypatch) -> None:
    from chatlog_cli.platforms import text_lines

    body = (FIXTURES / "jd" / "basic.log").read_text(encoding="utf-8").replace("\n", "\r\n")
    path = tmp_path / "crlf.log"
    path.write_text("导出说明\r\n" + body * 3, encoding="utf-8", newline="")
    run_import([path], tmp_path / "big")
    monkeypatch.setattr(text_lines, "READ_CHUNK", 7)  # cuts through CRLFs, headers and multi-byte characters
    run_import([path], tmp_path / "small")

    def comparable(store: Path) -> list[tuple]:
        return [(r["message_id"], r["content"], r["source_line"], r["sender_role"]) for r in messages(store)]

    assert comparable(tmp_path / "big") == comparable(tmp_path / "small")
    assert len(comparable(tmp_path / "big")) == 48


def test_stray_carriage_returns_nbsp_and_control_characters_are_cleaned(tmp_path: Path) -> None:
    rows, _ = import_text(tmp_path, f"{BANNER}\r\nb 2026-10-01 10:00:00\r\n你\x03好\u00a0呀\r末尾\r\n")
    assert rows[0]["content"] == "你好 呀\n末尾"
