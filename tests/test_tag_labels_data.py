"""The hand-labelled tag evaluation set (tests/data/tagging/labels.csv) is well formed and matches the corpora.

The CSV holds only turn ids and labels; the turn text is rebuilt from `../shared/corpora` (research-licensed,
never committed), so these checks are skipped when the corpora are not next to the repository.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from corpus_turns import CORPORA_DIR, JDDC_FILE, NTCIR_FILE, all_turns

LABELS = Path(__file__).parent / "data" / "tagging" / "labels.csv"
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


def _rows() -> list[dict[str, str]]:
    with LABELS.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == HEADER
        return list(reader)


def _tags(cell: str) -> list[str]:
    return cell.split(";") if cell else []


@pytest.fixture(scope="module")
def turns() -> dict[str, str]:
    return all_turns(CORPORA_DIR)


def test_300_unique_ids() -> None:
    ids = [row["turn_id"] for row in _rows()]
    assert len(ids) == 300
    assert len(set(ids)) == 300
    assert sum(i.startswith("jddc:") for i in ids) == 200
    assert sum(i.startswith("ntcir:") for i in ids) == 100


def test_every_id_resolves_to_a_turn_text(turns: dict[str, str]) -> None:
    missing = [row["turn_id"] for row in _rows() if row["turn_id"] not in turns]
    assert not missing, missing
    assert all(turns[row["turn_id"]].strip() for row in _rows())


def test_ids_are_the_seeded_sample(turns: dict[str, str]) -> None:
    spec = importlib.util.spec_from_file_location("sample_turns", SAMPLER)
    assert spec is not None and spec.loader is not None
    sampler = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sampler)
    assert [row["turn_id"] for row in _rows()] == sampler.sample(CORPORA_DIR)
    assert all(sampler.eligible(turns[row["turn_id"]]) for row in _rows())


def test_labels_are_known_tags() -> None:
    for row in _rows():
        categories, risks = _tags(row["categories"]), _tags(row["risk"])
        assert set(categories) <= CATEGORY_TAGS, row
        assert set(risks) <= RISK_TAGS, row
        assert len(set(categories)) == len(categories) and len(set(risks)) == len(risks), row
        assert row["service"] in SERVICE_TAGS | {""}, row


def test_notes_are_short() -> None:
    assert all(len(row["note"]) <= 120 for row in _rows())
