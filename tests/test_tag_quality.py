"""The built-in rules on the hand-labelled real customer turns (tests/data/tagging): a floor under quality.

The floors sit a little below the measured values (docs/tagging.md) so that a rules change that makes
tagging worse fails here, while the exact figures are recorded by benchmarks/eval_tags.py.
"""

from __future__ import annotations

import pytest
from tests import tag_eval

from chatlog_cli.tagging.rules import default_rules
from chatlog_cli.tagging.tagger import Tagger

needs_corpora = pytest.mark.skipif(
    not tag_eval.CORPORA_DIR.exists(), reason="needs ../shared/corpora (JDDC 2019, NTCIR-14 STC-3)"
)


@needs_corpora
@pytest.mark.parametrize(
    ("labels", "precision", "recall"),
    [(tag_eval.LABELS, 0.72, 0.42), (tag_eval.DEV_LABELS, 0.72, 0.45)],
    ids=["test", "dev"],
)
def test_problem_categories_precision_and_recall_stay_above_their_floor(labels, precision, recall) -> None:
    evaluation = tag_eval.evaluate(Tagger(default_rules()), labels=labels)
    total = evaluation.micro(tag_eval.CATEGORIES)
    assert total.precision is not None and total.precision >= precision
    assert total.recall is not None and total.recall >= recall
    risk = evaluation.micro(tag_eval.RISKS)
    assert risk.precision is not None and risk.precision >= 0.75


def test_greetings_and_acknowledgements_get_no_tags() -> None:
    tagger = Tagger(default_rules())
    for text in ("您好", "在吗", "好的谢谢", "嗯嗯", "收到", "没有了，谢谢", "OK", "亲", "[微笑]", "转人工"):
        assert tagger.tags_of_text(text) == [], text
