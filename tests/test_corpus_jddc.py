"""Role inference on real text: the JDDC 2019 sample rendered into the JD chat-log layout.

The corpus flags every turn as customer or agent; the rendered log carries no roles, so chatlog must infer
them exactly as for a real export (robots by name, recurring agents, first speaker = buyer).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conftest import CORPORA, GOLDEN_DROP, messages, run_import

JDDC = CORPORA / "jddc2019_sample" / "chat_0.1per.txt"

pytestmark = pytest.mark.skipif(not JDDC.exists(), reason="../shared/corpora/jddc2019_sample is not present")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], list[tuple[str, str, str]], object]:
    from corpus_render import render_jddc_as_jd_log

    folder = tmp_path_factory.mktemp("jddc")
    log = folder / "jddc.log"
    truth = render_jddc_as_jd_log(JDDC, log)
    result = run_import([log], folder / "store").files[0]
    return messages(folder / "store"), truth, result


def test_every_turn_is_imported(imported) -> None:
    rows, truth, result = imported
    assert result.status == "imported", result.error
    assert result.rejected_rows == 0
    assert len(rows) == len(truth)


def test_roles_match_the_corpus_agent_flag(imported) -> None:
    rows, truth, _ = imported
    expected = Counter((sender, sent_at, role) for sender, sent_at, role in truth)
    got = Counter((r["sender"], r["sent_at"][:19].replace("T", " "), r["sender_role"]) for r in rows)
    confusion = Counter()
    lookup = {(s, t): role for s, t, role in truth}
    for r in rows:
        key = (r["sender"], r["sent_at"][:19].replace("T", " "))
        confusion[(lookup.get(key), r["sender_role"])] += 1
    correct = confusion[("buyer", "buyer")] + confusion[("agent", "agent")]
    accuracy = correct / len(rows)
    # Agents recur across hundreds of sessions and buyers speak first, so inference should be near perfect;
    # whatever is not certain must be `unknown`, never the wrong role.
    assert confusion[("buyer", "agent")] == 0 and confusion[("agent", "buyer")] == 0, confusion
    assert accuracy >= 0.99, (accuracy, confusion)
    assert sum(expected.values()) == sum(got.values())


def test_one_conversation_per_session(imported) -> None:
    rows, _, _ = imported
    corpus_sessions = {line.split("\t", 1)[0] for line in JDDC.read_text(encoding="utf-8").splitlines() if line}
    assert len({r["conversation_id"] for r in rows}) == len(corpus_sessions)


def test_buyer_is_set_on_every_message(imported) -> None:
    rows, _, _ = imported
    assert all(r["buyer"] for r in rows)
    assert Path(JDDC).exists()


def test_a_gb18030_csv_of_real_text_imports_as_its_utf8_copy(
    tmp_path: Path, batches_decoded_as_bytes: list[int]
) -> None:
    """The corpus as a Pinduoduo CSV saved in GB18030 (split into cells as bytes) and in UTF-8: the same rows."""
    import csv
    import io

    rows = [["会话ID", "买家ID", "买家昵称", "客服账号", "发送方", "消息类型", "消息内容", "发送时间", "订单编号"]]
    for number, line in enumerate(JDDC.read_text(encoding="utf-8").splitlines()):
        parts = line.split("\t")
        if len(parts) < 7:
            continue
        session, user, is_agent, content = parts[0], parts[1], parts[2], "\t".join(parts[6:])
        sent = f"2026-11-{1 + number // 5_000:02d} {number // 3600 % 24:02d}:{number // 60 % 60:02d}:{number % 60:02d}"
        role = "客服" if is_agent == "1" else "买家"
        rows.append([session, user, user, "京东客服-小东", role, "文本", content, sent, ""])
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    stored = {}
    for encoding in ("gb18030", "utf-8-sig"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.getvalue().encode(encoding))
        result = run_import([path], tmp_path / encoding).files[0]
        assert result.status == "imported" and result.rejected_rows == 0, result.error
        stored[encoding] = [
            {k: v for k, v in row.items() if k not in GOLDEN_DROP} for row in messages(tmp_path / encoding)
        ]
    assert len(stored["gb18030"]) > 10_000 and sum(batches_decoded_as_bytes) == len(rows) - 1
    assert stored["gb18030"] == stored["utf-8-sig"]
