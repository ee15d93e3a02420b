"""Pick the customer turns of the tag label sets (run once; the ids went into labels.csv and dev_labels.csv).

A plain seeded random sample, no keyword or topic filter, so the label distribution is the corpora's own:
200 JDDC 2019 turns and 100 NTCIR-14 STC-3 turns among those with at least 6 characters of text once
whitespace and JDDC placeholders (`[订单x]`, `[数字x]` …) are removed. Ids are sampled from sorted lists so the
result depends only on the seed.

Two sets are drawn:
    - the TEST set (`labels.csv`, seed 20261123): only measured, never used to tune the rules;
    - the DEVELOPMENT set (`dev_labels.csv`, `--dev`, seed 20261124): the rules are tuned on it. It is drawn
      from the same eligible turns minus every id of the test sample, so the two sets are disjoint.

Usage:
    python tests/data/tagging/sample_turns.py > ids.txt         # test set ids, in labels.csv order
    python tests/data/tagging/sample_turns.py --dev > ids.txt   # dev set ids, in dev_labels.csv order
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from corpus_turns import CORPORA_DIR, jddc_turns, ntcir_turns

SEED = 20261123
DEV_SEED = 20261124
JDDC_COUNT = 200
NTCIR_COUNT = 100
MIN_CHARS = 6
_PLACEHOLDER = re.compile(r"\[[^\]]*x\]")
_SPACE = re.compile(r"\s+")


def eligible(text: str) -> bool:
    """True when the turn has at least MIN_CHARS characters besides whitespace and placeholders."""
    return len(_SPACE.sub("", _PLACEHOLDER.sub("", text))) >= MIN_CHARS


def _eligible_ids(corpora_dir: Path) -> tuple[list[str], list[str]]:
    """The sorted eligible JDDC ids and the sorted eligible NTCIR ids."""
    jddc = sorted(tid for tid, text in jddc_turns(corpora_dir).items() if eligible(text))
    ntcir = sorted(tid for tid, text in ntcir_turns(corpora_dir).items() if eligible(text))
    return jddc, ntcir


def sample(corpora_dir: Path = CORPORA_DIR) -> list[str]:
    """The test sample's turn ids (labels.csv): JDDC ids first, then NTCIR ids, each in sample order."""
    rng = random.Random(SEED)
    jddc, ntcir = _eligible_ids(corpora_dir)
    return rng.sample(jddc, JDDC_COUNT) + rng.sample(ntcir, NTCIR_COUNT)


def dev_sample(corpora_dir: Path = CORPORA_DIR) -> list[str]:
    """The dev sample's turn ids (dev_labels.csv), disjoint from `sample`: JDDC ids first, then NTCIR ids.

    Same eligibility rule and counts as the test sample, seed DEV_SEED, drawn from the sorted eligible ids
    minus every id of the test sample.
    """
    test_ids = set(sample(corpora_dir))
    rng = random.Random(DEV_SEED)
    jddc, ntcir = _eligible_ids(corpora_dir)
    jddc = [tid for tid in jddc if tid not in test_ids]
    ntcir = [tid for tid in ntcir if tid not in test_ids]
    return rng.sample(jddc, JDDC_COUNT) + rng.sample(ntcir, NTCIR_COUNT)


if __name__ == "__main__":
    print("\n".join(dev_sample() if "--dev" in sys.argv[1:] else sample()))
