"""Precision and recall of the built-in tag rules on hand-labelled real customer turns.

    python benchmarks/eval_tags.py                     # the test set (tests/data/tagging/labels.csv)
    python benchmarks/eval_tags.py --set dev --show 40 # the development set, with turns where rules and labels differ
    python benchmarks/eval_tags.py --write-docs        # record the test-set table in docs/tagging.md

The labels and how they were made: tests/data/tagging/README.md. Rules are tuned on the development set only;
the test set is measured, never read for tuning (so its disagreements are not printed). Needs ../shared/corpora.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_import  # revision, doc-section writer
from tests import tag_eval
from tests.corpus_turns import all_turns

from chatlog_cli.tagging.rules import default_rules
from chatlog_cli.tagging.tagger import Tagger

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=("test", "dev"), default="test")
    parser.add_argument("--show", type=int, default=0, help="dev set only: turns where rules and labels differ")
    parser.add_argument("--write-docs", action="store_true", help="record the test-set table in docs/tagging.md")
    args = parser.parse_args()
    labels = tag_eval.LABELS if args.set == "test" else tag_eval.DEV_LABELS
    rules = default_rules()
    evaluation = tag_eval.evaluate(Tagger(rules), labels=labels)
    table = tag_eval.markdown(evaluation)
    print(table)
    if args.show and args.set == "dev":
        texts = all_turns()
        for turn_id, truth, guess in evaluation.disagreements[: args.show]:
            print(f"\n{turn_id}\n  labelled {sorted(truth)}\n  tagged   {sorted(guess)}\n  {texts[turn_id][:200]!r}")
    by_source = []
    for source, name in (("jddc", "JDDC (JD e-commerce chat)"), ("ntcir", "NTCIR (Weibo helpdesk, mostly telecom)")):
        part = tag_eval.evaluate(Tagger(rules), labels=labels, source=source).micro(tag_eval.CATEGORIES)
        by_source.append(
            f"- {name}: {part.labelled} labelled, {part.predicted} tagged, precision {part.precision:.0%}, "
            f"recall {part.recall:.0%}"
        )
    print("\nProblem categories by corpus:\n" + "\n".join(by_source))
    if args.write_docs and args.set == "test":
        categories = evaluation.micro(tag_eval.CATEGORIES)
        body = "\n".join(
            [
                f"Measured {dt.date.today():%Y-%m-%d} at revision {bench_import.revision()} with "
                f"`python benchmarks/eval_tags.py`: the built-in rules ({len(rules.rules)} rules, "
                f"{rules.keyword_count} keywords and regexes) on the {evaluation.turns} labelled customer turns of "
                "the test set. Over all problem categories: precision "
                f"{categories.precision:.0%}, recall {categories.recall:.0%}.",
                "",
                table,
                "",
                "Problem categories by corpus:",
                "",
                *by_source,
            ]
        )
        bench_import.write_doc_section("tag_quality", body, doc=ROOT / "docs" / "tagging.md")


if __name__ == "__main__":
    main()
