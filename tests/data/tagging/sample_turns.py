"""Pick the customer turns of the tag evaluation set (run once; the ids went into labels.csv).

A plain seeded random sample, no keyword or topic filter, so the label distribution is the corpora's own:
200 JDDC 2019 turns and 100 NTCIR-14 STC-3 turns among those with at least 6 characters of text once
whitespace and JDDC placeholders (`[订单x]`, `[数字x]` …) are removed. Ids are sampled from sorted lists so the
result depends only on the seed.

Usage: python tests/data/tagging/sample_turns.py > ids.txt
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from corpus_turns import CORPORA_DIR, jddc_turns, ntcir_turns

SEED = 20261123
JDDC_COUNT = 200
NTCIR_COUNT = 100
MIN_CHARS = 6
_PLACEHOLDER = re.compile(r"\[[^\]]*x\]")
_SPACE = re.compile(r"\s+")


def eligible(text: str) -> bool:
    """True when the turn has at least MIN_CHARS characters besides whitespace and placeholders."""
    return len(_SPACE.sub("", _PLACEHOLDER.sub("", text))) >= MIN_CHARS


def sample(corpora_dir: Path = CORPORA_DIR) -> list[str]:
    """The sampled turn ids: JDDC ids first, then NTCIR ids, each in sample order."""
    rng = random.Random(SEED)
    jddc = sorted(tid for tid, text in jddc_turns(corpora_dir).items() if eligible(text))
    ntcir = sorted(tid for tid, text in ntcir_turns(corpora_dir).items() if eligible(text))
    return rng.sample(jddc, JDDC_COUNT) + rng.sample(ntcir, NTCIR_COUNT)


if __name__ == "__main__":
    print("\n".join(sample()))
