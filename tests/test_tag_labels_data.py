"""The hand-labelled tag sets are well formed and match the corpora.

Two sets: the test set (tests/data/tagging/labels.csv, only measured) and the development set
(tests/data/tagging/dev_labels.csv, the one rules are tuned on), disjoint by turn id. The CSVs hold only turn ids
and labels; the turn text is rebuilt from `../shared/corpora` (research-licensed, never committed), so these
checks are skipped when the corpora are not next to the repository.
"""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from corpus_turns import CORPORA_DIR, JDDC_FILE, NTCIR_FILE, all_turns

LABELS = Path(__file__).parent / "data" / "tagging" / "labels.csv"
DEV_LABELS = Path(__file__).parent / "data" / "tagging" / "dev_labels.csv"
SAMPLER = Path(__file__).parent / "data" / "tagging" / "sample_turns.py"
HEADER = ["turn_id", "categories", "risk", "service", "note"]

# The taxonomy (v1) the labels were made against; see tests/data/tagging/README.md.
SERVICE_TAGS = {"售前咨询", "售后处理", "会员服务"}
CATEGORY_TAGS = {
    "物流-发货",
    "物流-配送时效",
    "物流-破损丢件",
    "支付-付款",
    "支付-退款未到账",
    "商品-质量",
    "商品-尺码",
    "商品-咨询",
    "优惠-优惠券/价格",
    "发票",
    "地址修改",
    "退换货",
    "安装维修",
    "订单-取消修改",
}
RISK_TAGS = {"风险-投诉", "风险-法律", "风险-曝光", "风险-差评", "风险-假货", "风险-诈骗"}

pytestmark = pytest.mark.skipif(
    not ((CORPORA_DIR / JDDC_FILE).exists() and (CORPORA_DIR / NTCIR_FILE).exists()),
    reason="../shared/corpora (JDDC 2019 sample and NTCIR-14 STC-3) is not present; labels.csv holds ids only",
)


def _rows(path: Path = LABELS) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == HEADER
        return list(reader)


def _tags(cell: str) -> list[str]:
    return cell.split(";") if cell else []


@pytest.fixture(scope="module")
def turns() -> dict[str, str]:
    return all_turns(CORPORA_DIR)


@pytest.fixture(scope="module")
def sampler() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_turns", SAMPLER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


both_sets = pytest.mark.parametrize("labels", [LABELS, DEV_LABELS], ids=["test", "dev"])


@both_sets
def test_300_unique_ids(labels: Path) -> None:
    ids = [row["turn_id"] for row in _rows(labels)]
    assert len(ids) == 300
    assert len(set(ids)) == 300
    assert sum(i.startswith("jddc:") for i in ids) == 200
    assert sum(i.startswith("ntcir:") for i in ids) == 100


@both_sets
def test_every_id_resolves_to_a_turn_text(labels: Path, turns: dict[str, str]) -> None:
    missing = [row["turn_id"] for row in _rows(labels) if row["turn_id"] not in turns]
    assert not missing, missing
    assert all(turns[row["turn_id"]].strip() for row in _rows(labels))


def test_ids_are_the_seeded_sample(sampler: ModuleType, turns: dict[str, str]) -> None:
    assert [row["turn_id"] for row in _rows()] == sampler.sample(CORPORA_DIR)
    assert all(sampler.eligible(turns[row["turn_id"]]) for row in _rows())


def test_dev_ids_are_the_seeded_dev_sample(sampler: ModuleType, turns: dict[str, str]) -> None:
    assert [row["turn_id"] for row in _rows(DEV_LABELS)] == sampler.dev_sample(CORPORA_DIR)
    assert all(sampler.eligible(turns[row["turn_id"]]) for row in _rows(DEV_LABELS))


def test_dev_ids_are_printed_by_the_dev_mode() -> None:
    result = subprocess.run(
        [sys.executable, str(SAMPLER), "--dev"], capture_output=True, text=True, encoding="utf-8", check=True
    )
    assert result.stdout.split() == [row["turn_id"] for row in _rows(DEV_LABELS)]


def test_dev_set_is_disjoint_from_the_test_set() -> None:
    test_ids = {row["turn_id"] for row in _rows()}
    dev_ids = {row["turn_id"] for row in _rows(DEV_LABELS)}
    assert not test_ids & dev_ids


@both_sets
def test_labels_are_known_tags(labels: Path) -> None:
    for row in _rows(labels):
        categories, risks = _tags(row["categories"]), _tags(row["risk"])
        assert set(categories) <= CATEGORY_TAGS, row
        assert set(risks) <= RISK_TAGS, row
        assert len(set(categories)) == len(categories) and len(set(risks)) == len(risks), row
        assert row["service"] in SERVICE_TAGS | {""}, row


@both_sets
def test_notes_are_short(labels: Path) -> None:
    assert all(len(row["note"]) <= 120 for row in _rows(labels))
