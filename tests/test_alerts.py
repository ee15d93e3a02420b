"""`chatlog alerts`: risk tags, unanswered and slow buyer turns on hand-built conversations; order and exit codes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from tests.conftest import run_import
from tests.tagging_helpers import write_pdd_csv, write_rules
from typer.testing import CliRunner

from chatlog_cli.alerts import find_alerts
from chatlog_cli.cli import app
from chatlog_cli.find.filters import MessageFilter
from chatlog_cli.settings import CHINA_TZ
from chatlog_cli.store import Store

DAY = "2026-11-02"
CHATS = [
    # answered in 5 minutes: fine
    ("OK", "buyer", f"{DAY} 10:00:00", "这个有现货吗"),
    ("OK", "agent", f"{DAY} 10:05:00", "有的亲"),
    # a robot answers at once, a person after 30 minutes: slow (robots do not count)
    ("SLOW", "buyer", f"{DAY} 10:00:00", "能便宜点吗"),
    ("SLOW", "bot", f"{DAY} 10:00:01", "您好，客服马上来"),
    ("SLOW", "agent", f"{DAY} 10:30:00", "亲，已经是最低价了"),
    # asked at 02:00, answered at 09:00: outside the service window, not an alert
    ("NIGHT", "buyer", f"{DAY} 02:00:00", "几点上班"),
    ("NIGHT", "agent", f"{DAY} 09:00:00", "早上好，在的"),
    # ends with thanks and an emoticon code: nothing left to answer
    ("THANKS", "buyer", f"{DAY} 10:00:00", "发什么快递"),
    ("THANKS", "agent", f"{DAY} 10:01:00", "中通"),
    ("THANKS", "buyer", f"{DAY} 10:02:00", "好的，谢谢~"),
    ("THANKS", "buyer", f"{DAY} 10:02:30", "/:^_^"),
    # the second question is never answered: high
    ("OPEN", "buyer", f"{DAY} 11:00:00", "在吗"),
    ("OPEN", "agent", f"{DAY} 11:01:00", "在的"),
    ("OPEN", "buyer", f"{DAY} 11:05:00", "快递还没收到，怎么回事"),
    ("OPEN", "buyer", f"{DAY} 11:06:00", "？？"),
    # a burst: the wait counts from its first message
    ("BURST", "buyer", f"{DAY} 12:00:00", "在吗"),
    ("BURST", "buyer", f"{DAY} 12:10:00", "？"),
    ("BURST", "agent", f"{DAY} 12:20:00", "在的"),
    # a complaint threat, answered quickly: urgent by its tag alone
    ("RISK", "buyer", f"{DAY} 09:00:00", "质量太差，我要投诉"),
    ("RISK", "agent", f"{DAY} 09:01:00", "亲，非常抱歉"),
    ("RISK", "buyer", f"{DAY} 09:02:00", "不处理就给差评"),
    ("RISK", "agent", f"{DAY} 09:03:00", "马上处理"),
]
NOW = dt.datetime(2026, 11, 3, 9, 0, tzinfo=CHINA_TZ)


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    store_dir = tmp_path / "store"
    run_import([write_pdd_csv(tmp_path / "chats.csv", CHATS)], store_dir)
    rules = write_rules(tmp_path / "rules.toml")
    result = CliRunner().invoke(app, ["tag", "--store", str(store_dir), "--rules", str(rules), "-q"])
    assert result.exit_code == 0, result.output
    return store_dir


def test_alerts_are_sorted_by_priority_then_age_with_reasons_and_evidence(store_dir: Path) -> None:
    report = find_alerts(Store.open(store_dir), MessageFilter(), now=NOW)
    summary = [(a.conversation_id, a.priority, [r.kind for r in a.reasons]) for a in report.alerts]
    assert summary == [
        ("RISK", "urgent", ["risk", "risk"]),
        ("OPEN", "high", ["unanswered"]),
        ("SLOW", "normal", ["slow_reply"]),
        ("BURST", "normal", ["slow_reply"]),
    ]
    risk = report.alerts[0]
    assert [r.text for r in risk.reasons] == ["风险-投诉：关键词“投诉”", "风险-差评：关键词“差评”"]
    assert risk.reasons[0].content == "质量太差，我要投诉"
    assert risk.buyer == "买家RISK"
    open_ = report.alerts[1].reasons[0]
    assert open_.content == "快递还没收到，怎么回事"
    assert open_.at == dt.datetime(2026, 11, 2, 11, 5, tzinfo=CHINA_TZ)
    assert [r.text for r in report.alerts[2].reasons] == ["买家等了 30 分钟才有客服回复"]
    assert [r.text for r in report.alerts[3].reasons] == ["买家等了 20 分钟才有客服回复"]
    assert report.conversations == 7 and report.untagged_files == 0


def test_reply_limit_service_hours_and_recent_questions(store_dir: Path) -> None:
    store = Store.open(store_dir)
    patient = find_alerts(store, MessageFilter(), reply_minutes=45, now=NOW)
    assert [a.conversation_id for a in patient.alerts] == ["RISK", "OPEN"]
    around_the_clock = find_alerts(store, MessageFilter(), service_hours=(0, 24), now=NOW)
    assert "NIGHT" in {a.conversation_id for a in around_the_clock.alerts}
    # Five minutes after the question it is not late yet.
    just_asked = find_alerts(store, MessageFilter(), now=dt.datetime(2026, 11, 2, 11, 10, tzinfo=CHINA_TZ))
    assert "OPEN" not in {a.conversation_id for a in just_asked.alerts}


def test_filters_choose_the_conversations(store_dir: Path) -> None:
    report = find_alerts(Store.open(store_dir), MessageFilter(conversations=("OPEN", "OK")), now=NOW)
    assert [a.conversation_id for a in report.alerts] == ["OPEN"]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["alerts", *args])
    return result.exit_code, result.stdout, result.stderr


def test_fail_on_exits_3_only_for_alerts_at_that_priority(store_dir: Path, tmp_path: Path) -> None:
    assert invoke("--store", str(store_dir), "--fail-on", "urgent")[0] == 3
    assert invoke("--store", str(store_dir), "--fail-on", "high")[0] == 3
    assert invoke("--store", str(store_dir))[0] == 0
    calm = tmp_path / "calm"
    run_import([write_pdd_csv(tmp_path / "calm.csv", CHATS[:2])], calm)
    code, stdout, stderr = invoke("--store", str(calm), "--fail-on", "high")
    assert code == 0 and "没有需要跟进的会话" in stdout
    assert "还没有打标签" in stderr  # risk alerts need `chatlog tag`


def test_table_and_json_output(store_dir: Path) -> None:
    code, stdout, _ = invoke("--store", str(store_dir), "--limit", "2")
    assert code == 0
    assert "需要跟进的会话：" in stdout and "紧急 1" in stdout and "显示前 2 个" in stdout
    assert "风险-投诉：关键词“投诉”" in stdout and "说明：超过 15 分钟" in stdout
    assert "质量太差，我要投诉" in stdout and "不处理就给差评" in stdout  # each reason's evidence
    code, stdout, _ = invoke("--store", str(store_dir), "--format", "json", "--since", DAY)
    data = json.loads(stdout)
    assert [a["priority"] for a in data["alerts"]][:2] == ["urgent", "high"]
    assert data["alerts"][0]["reasons"][0]["content"] == "质量太差，我要投诉"


def test_very_negative_sentiment_is_a_reason_once_messages_are_scored(store_dir: Path) -> None:
    store = Store.open(store_dir)
    before = find_alerts(store, MessageFilter(), now=NOW, sentiment_below=0.01)
    assert before.unscored_files == 1
    assert not any(r.kind == "negative_sentiment" for a in before.alerts for r in a.reasons)
    result = CliRunner().invoke(app, ["sentiment", "--store", str(store_dir), "-q"])
    assert result.exit_code == 0, result.output
    after = find_alerts(store, MessageFilter(), now=NOW, sentiment_below=0.01)
    assert after.unscored_files == 0
    flagged = {a.conversation_id: r for a in after.alerts for r in a.reasons if r.kind == "negative_sentiment"}
    # 质量太差，我要投诉 scores 0.005; the next lowest (快递还没收到，怎么回事) 0.013.
    assert list(flagged) == ["RISK"]
    assert flagged["RISK"].content == "质量太差，我要投诉" and flagged["RISK"].priority == "normal"
    assert "情绪" in flagged["RISK"].text
    # Off unless asked for (snownlp's model scores plain questions near 0).
    default = find_alerts(store, MessageFilter(), now=NOW)
    assert not any(r.kind == "negative_sentiment" for a in default.alerts for r in a.reasons)
    result = CliRunner().invoke(
        app, ["alerts", "--store", str(store_dir), "--sentiment-below", "0.01", "--format", "json"]
    )
    assert result.exit_code == 0 and "买家情绪很差" in result.stdout
