"""`chatlog sentiment` over a store: stored scores, incremental runs, conversation figures, models, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.conftest import run_import
from tests.tagging_helpers import write_pdd_csv
from typer.testing import CliRunner

from chatlog_cli.cli import app
from chatlog_cli.schema import SENTIMENT_SCHEMA
from chatlog_cli.sentiment.aggregate import Thresholds, summarise
from chatlog_cli.sentiment.scorer import SentimentScorer
from chatlog_cli.store import Store
from chatlog_cli.store.query import connect

FIRST = [
    ("C1", "buyer", "2026-11-02 10:00:00", "你好，在吗"),
    ("C1", "agent", "2026-11-02 10:01:00", "亲，在的，请问有什么可以帮您"),
    ("C1", "buyer", "2026-11-02 10:02:00", "东西收到了，质量很好，非常满意"),
    ("C1", "buyer", "2026-11-02 10:03:00", "谢谢"),
    ("C2", "buyer", "2026-11-03 11:00:00", "质量太差了，用了一天就坏了"),
    ("C2", "agent", "2026-11-03 11:01:00", "非常抱歉给您带来不便"),
    ("C2", "buyer", "2026-11-03 11:02:00", "再不处理我就投诉，给差评"),
    ("C2", "buyer", "2026-11-03 11:03:00", "😡😡"),
]
SECOND = [("C3", "buyer", "2026-11-20 09:00:00", "物流很快，好评")]
BUYER_TEXTS = {  # conversation → scored buyer texts in time order (the emoji-only message has no score)
    "C1": ["你好，在吗", "东西收到了，质量很好，非常满意", "谢谢"],
    "C2": ["质量太差了，用了一天就坏了", "再不处理我就投诉，给差评"],
}


@pytest.fixture(scope="module")
def scorer() -> SentimentScorer:
    return SentimentScorer.load()


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    store_dir = tmp_path / "store"
    run_import([write_pdd_csv(tmp_path / "first.csv", FIRST)], store_dir)
    return store_dir


def sentiment(store_dir: Path, *args: str) -> dict:
    result = CliRunner().invoke(app, ["sentiment", "--store", str(store_dir), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def score_files(store_dir: Path) -> dict[Path, tuple[int, bytes]]:
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted((store_dir / "sentiment").rglob("*.parquet"))}


def stored_scores(store_dir: Path) -> dict[str, float]:
    con = connect(Store.open(store_dir))
    try:
        rows = con.execute("SELECT m.content, s.score FROM message_sentiment s JOIN messages m USING (message_id)")
        return dict(rows.fetchall())
    finally:
        con.close()


def test_buyer_text_messages_are_scored_and_stored_beside_their_message_file(store_dir: Path, scorer) -> None:
    report = sentiment(store_dir)
    assert (report["files_scored"], report["messages_read_now"], report["messages_scored_now"]) == (1, 8, 5)
    [file] = score_files(store_dir)
    assert pq.read_schema(file).remove_metadata() == SENTIMENT_SCHEMA.remove_metadata()
    expected = {t: scorer.score(t) for texts in BUYER_TEXTS.values() for t in texts}
    assert stored_scores(store_dir) == expected  # agents' messages and the emoji-only message have none


def test_a_second_run_writes_nothing_and_new_imports_are_scored_alone(store_dir: Path, tmp_path: Path) -> None:
    sentiment(store_dir)
    before = score_files(store_dir)
    again = sentiment(store_dir)
    assert (again["files_scored"], again["files_up_to_date"], again["messages_read_now"]) == (0, 1, 0)
    assert score_files(store_dir) == before
    run_import([write_pdd_csv(tmp_path / "second.csv", SECOND)], store_dir)
    third = sentiment(store_dir)
    assert (third["files_scored"], third["files_up_to_date"], third["messages_scored_now"]) == (1, 1, 1)
    after = score_files(store_dir)
    assert all(after[p] == before[p] for p in before)


def test_conversation_figures_follow_the_documented_definitions(store_dir: Path, scorer) -> None:
    report = sentiment(store_dir, "--top", "5")
    con = connect(Store.open(store_dir))
    try:
        rows = con.execute(
            "SELECT conversation_id, scored_messages, mean, min, first, last, change, score, label "
            "FROM conversation_sentiment ORDER BY conversation_id"
        ).fetchall()
    finally:
        con.close()
    assert [r[0] for r in rows] == ["C1", "C2"]
    for conversation, n, mean, low, first, last, change, score, label in rows:
        expected = summarise([scorer.score(t) for t in BUYER_TEXTS[conversation]])
        assert expected is not None and n == expected.messages
        assert mean == pytest.approx(expected.mean) and score == pytest.approx(expected.score)
        assert (low, last, label) == (expected.min, expected.last, expected.label)
        assert first == scorer.score(BUYER_TEXTS[conversation][0])
        assert change == pytest.approx(expected.change)
    worst = report["most_negative"][0]
    assert worst["conversation_id"] == "C2" and worst["lowest_text"] in BUYER_TEXTS["C2"]
    assert sum(report["labels"].values()) == report["scored_conversations"] == 2


def test_summaries_and_labels() -> None:
    summary = summarise([0.9, 0.2, 0.5])
    assert summary is not None
    assert (summary.messages, summary.min, summary.last) == (3, 0.2, 0.5)
    assert summary.mean == pytest.approx(1.6 / 3) and summary.change == pytest.approx(-0.4)
    assert summarise([]) is None
    strict = Thresholds(negative_below=0.4, positive_above=0.6)
    assert [strict.label(s) for s in (0.39, 0.4, 0.6, 0.61)] == ["negative", "neutral", "neutral", "positive"]
    with pytest.raises(ValueError):
        Thresholds(negative_below=0.8, positive_above=0.2)


def test_thresholds_are_configurable_on_the_command_line(store_dir: Path) -> None:
    everything_negative = sentiment(store_dir, "--negative-below", "1", "--positive-above", "1")
    assert everything_negative["labels"] == {"negative": 2, "neutral": 0, "positive": 0}
    nothing_negative = sentiment(store_dir, "--negative-below", "0", "--positive-above", "0")
    assert nothing_negative["labels"]["negative"] == 0
    result = CliRunner().invoke(
        app, ["sentiment", "--store", str(store_dir), "--negative-below", "0.8", "--positive-above", "0.2"]
    )
    assert result.exit_code == 2 and "--negative-below" in result.output


def test_text_and_explain_show_the_score_and_its_words(store_dir: Path, scorer) -> None:
    shown = sentiment(store_dir, "--text", "质量太差了，用了一天就坏了")
    assert shown["score"] == scorer.score("质量太差了，用了一天就坏了")
    assert "质量" in shown["words"] and shown["weights"][0]["log_odds"] != 0
    sentiment(store_dir)
    con = connect(Store.open(store_dir))
    message_id = con.execute("SELECT message_id FROM messages WHERE content = '谢谢'").fetchone()[0]
    con.close()
    explained = sentiment(store_dir, "--explain", message_id[:12])
    assert explained["stored_score"] == explained["score"] == scorer.score("谢谢")
    empty = sentiment(store_dir, "--text", "😀")
    assert empty["score"] is None


POSITIVE = ["质量很好，很满意", "物流很快，包装完好", "客服态度好，耐心解答", "好评，会回购"]
NEGATIVE = ["质量太差，很失望", "物流太慢了", "客服态度恶劣，不理人", "差评，再也不买了"]
LABELLED = [(t, 1) for t in POSITIVE] + [(t, 0) for t in NEGATIVE]


def write_examples(tmp_path: Path) -> tuple[Path, Path, Path]:
    positive = tmp_path / "pos.txt"
    negative = tmp_path / "neg.txt"
    # The trainer wants at least 20 examples per class; repeat the tiny set (each line is one example).
    positive.write_text("\n".join([t for t, y in LABELLED if y] * 5) + "\n", encoding="utf-8")
    negative.write_text("\n".join([t for t, y in LABELLED if not y] * 5) + "\n", encoding="gbk")
    labelled = tmp_path / "labelled.csv"
    labelled.write_text("label,review\n" + "".join(f"{y},{t}\n" for t, y in LABELLED), encoding="utf-8")
    return positive, negative, labelled


def test_train_then_eval_round_trip_and_the_model_is_used_from_then_on(store_dir: Path, tmp_path: Path) -> None:
    positive, negative, labelled = write_examples(tmp_path)
    sentiment(store_dir)
    default_scores = stored_scores(store_dir)
    trained = sentiment(store_dir, "train", "--pos", str(positive), "--neg", str(negative))
    assert (trained["positive_examples"], trained["negative_examples"]) == (20, 20)
    assert (store_dir / "models" / "sentiment.marshal.3").exists()
    evaluation = sentiment(store_dir, "eval", str(labelled))
    assert evaluation["accuracy"] == 1.0 and evaluation["texts"] == 8
    assert evaluation["confusion"]["rows_true_columns_predicted"] == [[4, 0], [0, 4]]
    # The next run re-scores with the trained model…
    rescored = sentiment(store_dir)
    assert rescored["files_scored"] == 1 and rescored["model"]["name"] == "trained"
    trained_scores = stored_scores(store_dir)
    shop_model = SentimentScorer.load(store_dir / "models" / "sentiment.marshal.3")
    assert trained_scores == {t: shop_model.score(t) for t in trained_scores} != default_scores
    # …and --model default goes back.
    back = sentiment(store_dir, "--model", "default")
    assert back["files_scored"] == 1 and back["model"]["name"] == "default"
    assert stored_scores(store_dir) == default_scores
    assert sentiment(store_dir, "--model", "trained")["model"]["name"] == "trained"


def test_eval_of_the_default_model_prints_a_confusion_table(tmp_path: Path) -> None:
    _, _, labelled = write_examples(tmp_path)
    result = CliRunner().invoke(app, ["sentiment", "eval", str(labelled), "--model", "default"])
    assert result.exit_code == 0, result.output
    assert "准确率" in result.output and "混淆矩阵" in result.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [("text,score\n好,1\n", "标签列"), ("label,review\n好坏,maybe\n", "第 2 行")],
)
def test_eval_rejects_files_it_cannot_read_with_a_clear_message(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["sentiment", "eval", str(path), "--model", "default"])
    assert result.exit_code == 2 and expected in result.output and "bad.csv" in result.output


def test_train_refuses_too_few_examples_and_bad_model_files(store_dir: Path, tmp_path: Path) -> None:
    few = tmp_path / "few.txt"
    few.write_text("好\n不好\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["sentiment", "train", "--store", str(store_dir), "--pos", str(few), "--neg", str(few)]
    )
    assert result.exit_code == 2 and "至少需要 20 条" in result.output
    assert not (store_dir / "models").exists()
    junk = tmp_path / "junk.marshal.3"
    junk.write_bytes(b"junk")
    result = CliRunner().invoke(app, ["sentiment", "--store", str(store_dir), "--model", str(junk)])
    assert result.exit_code != 0 and "junk.marshal.3" in result.output
    assert not (store_dir / "models" / "sentiment.marshal.3").exists()
    result = CliRunner().invoke(app, ["sentiment", "--store", str(store_dir), "--model", "trained"])
    assert result.exit_code == 2 and "还没有训练过的模型" in result.output
