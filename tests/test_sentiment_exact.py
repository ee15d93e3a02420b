"""The scorer reproduces `snownlp.SnowNLP(text).sentiments` exactly: real customer turns, hard cases, models."""

from __future__ import annotations

import gzip
import marshal
import random
from pathlib import Path

import pytest
from tests.corpus_turns import CORPORA_DIR, JDDC_FILE, NTCIR_FILE, jddc_turns, ntcir_turns

from chatlog_cli.sentiment import segmenter
from chatlog_cli.sentiment.bayes import BayesModel
from chatlog_cli.sentiment.scorer import SentimentScorer, is_scorable

snownlp = pytest.importorskip("snownlp")

# Texts that exercise the segmenter's corners: characters the model never saw (every tag costs nothing and
# the last predecessor wins), single characters, Latin/digits between Han runs, full-width punctuation,
# emoticon codes, line breaks and a long message.
HARD_CASES = [
    "您好，欢迎光临，请问有什么可以帮您？",
    "好",
    "龘龘龘",
    "这个靐字和齉字你们认识吗",
    "買了三次都是壞的，退款！！！",
    "iPhone15 Pro 256G 什么时候发货",
    "订单号 3312345678901234 还没到，物流显示在北京转运中心",
    "[微笑][微笑] 谢谢亲",
    "/:^_^ 好的 /:handclap",
    "第一行还行\n第二行太差了\r\n第三行再也不买了",
    "差评差评差评" * 50,
    "一二三四五六七八九十" * 300,
    "衣服质量不错，就是物流太慢了，等了一个星期，客服态度也很一般，下次不会再来了。",
    "鬱鬱蔥蔥䶮䶮",
    "a b c 的 了 是",
]


@pytest.fixture(scope="module")
def scorer() -> SentimentScorer:
    return SentimentScorer.load()


def reference(text: str) -> float:
    return float(snownlp.SnowNLP(text).sentiments)


def test_hard_cases_score_exactly_as_snownlp(scorer: SentimentScorer) -> None:
    ours = scorer.score_texts(HARD_CASES)
    for text, score in zip(HARD_CASES, ours, strict=True):
        assert score == reference(text), text


def test_words_are_snownlps_words(scorer: SentimentScorer) -> None:
    from snownlp import seg

    for text in HARD_CASES:
        assert scorer.segmenter.words(text) == seg.seg(text), text


@pytest.mark.skipif(not (CORPORA_DIR / JDDC_FILE).exists(), reason="needs ../shared/corpora")
def test_thousands_of_real_customer_turns_score_exactly_as_snownlp(scorer: SentimentScorer) -> None:
    turns = list(jddc_turns().values())
    if (CORPORA_DIR / NTCIR_FILE).exists():
        turns += list(ntcir_turns().values())
    sample = random.Random(7).sample(turns, 2500)
    ours = scorer.score_texts(sample)
    compared = 0
    for text, score in zip(sample, ours, strict=True):
        if score is None:
            assert not is_scorable(text)
            continue
        expected = reference(text)
        assert abs(score - expected) <= 1e-9, text
        assert score == expected, text  # in fact bit for bit
        compared += 1
    assert compared > 2400


def test_the_vectorised_log_fallback_gives_the_same_words(scorer: SentimentScorer, monkeypatch) -> None:
    expected = [scorer.segmenter.words(t) for t in HARD_CASES]
    monkeypatch.setattr(segmenter, "_numpy_log_is_exact", lambda: False)
    fresh = segmenter.Segmenter(scorer.segmenter.tables)
    assert [fresh.words(t) for t in HARD_CASES] == expected


def test_unscorable_texts_get_no_score_and_never_crash(scorer: SentimentScorer) -> None:
    texts = ["", "   ", "😀😀👍", "12345", "!!!???", "https://example.com/a?b=1", "ok", None]
    assert scorer.score_texts(texts) == [None] * len(texts)
    assert scorer.score("好评") is not None


def test_each_distinct_text_is_scored_once_and_order_is_kept(scorer: SentimentScorer, monkeypatch) -> None:
    seen: list[int] = []
    original = scorer.words

    def counting(texts):
        seen.append(len(texts))
        return original(texts)

    monkeypatch.setattr(scorer, "words", counting)
    texts = ["好的", "太差了", "好的", "", "太差了", "好的"]
    scores = scorer.score_texts(texts, workers=1)
    assert sum(seen) == 2
    assert scores[0] == scores[2] == scores[5] and scores[1] == scores[4] and scores[3] is None


def test_two_worker_processes_give_the_same_scores(scorer: SentimentScorer, monkeypatch) -> None:
    from chatlog_cli.sentiment import scorer as scorer_module

    texts = [f"{t}{i}" for i, t in enumerate(HARD_CASES * 4)]
    single = scorer.score_texts(texts, workers=1)
    monkeypatch.setattr(scorer_module, "PARALLEL_MIN_TEXTS", 10)
    assert scorer.score_texts(texts, workers=2) == single


def test_a_trained_model_scores_exactly_as_snownlp_with_that_model(scorer: SentimentScorer, tmp_path: Path) -> None:
    from snownlp import sentiment

    positive = ["质量很好，很满意", "物流很快，包装完好", "客服态度好，耐心解答", "好评，会回购"]
    negative = ["质量太差，很失望", "物流太慢了", "客服态度恶劣，不理人", "差评，再也不买了"]
    model = BayesModel.train(scorer.words(negative), scorer.words(positive))
    path = tmp_path / "shop.marshal.3"
    model.write(path)
    ours = SentimentScorer.load(path)
    reference_model = sentiment.Sentiment()
    reference_model.train(negative, positive)  # snownlp's own trainer on the same lines
    assert BayesModel.read(path).classes == model.classes
    loaded = sentiment.Sentiment()
    loaded.load(str(tmp_path / "shop.marshal"))  # snownlp appends ".3"
    for text in [*positive, *negative, *HARD_CASES]:
        expected = reference_model.classify(text)
        assert ours.score(text) == expected == loaded.classify(text), text


def test_segmenter_tables_are_cached_and_a_damaged_cache_is_rebuilt(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CHATLOG_CACHE_DIR", str(tmp_path / "cache"))
    bos = ("", "BOS")
    model = {  # a tiny model in snownlp's marshalled form
        "l1": 0.25, "l2": 0.25, "l3": 0.5, "status": ("b", "m", "e", "s"),
        "uni": {"d": {bos: 2, ("好", "s"): 1, ("评", "e"): 1, ("x", "s"): 4}, "total": 8.0, "none": 0},
        "bi": {"d": {(bos, bos): 1, (bos, ("好", "s")): 1, (("好", "s"), ("评", "e")): 1}, "total": 3.0, "none": 0},
        "tri": {"d": {(bos, bos, ("好", "s")): 1}, "total": 1.0, "none": 0},
    }  # fmt: skip
    source = tmp_path / "seg.marshal.3"
    source.write_bytes(gzip.compress(marshal.dumps(model)))
    first = segmenter.load_tables(source)
    [cached] = (tmp_path / "cache").glob("snownlp-seg-*.npz")
    again = segmenter.load_tables(source)
    assert (again.l1, again.total) == (0.25, 8.0)
    assert list(again.bi_keys) == list(first.bi_keys) and len(again.bi_keys) == 3  # ("x", …) is not a Han symbol
    assert again.uni[(ord("好") - 0x4E00) * 4 + 3] == 1
    cached.write_bytes(b"not an npz")
    rebuilt = segmenter.load_tables(source)
    assert list(rebuilt.tri_counts) == [1.0]
