"""Customer turns of the research corpora, rebuilt by id.

The tag evaluation set (`tests/data/tagging/labels.csv`) stores only turn ids and labels; the corpus text is
research-licensed and never committed. These functions rebuild each customer turn's text from
`../shared/corpora` so tests (and the tag-rule evaluation) can look it up by id.

Turn ids:
    - `jddc:<session_id>:<k>` — the k-th (0-based) customer turn of a JDDC 2019 session, where a customer turn
      is a maximal run of consecutive customer rows (`is_agent == "0"`); its text is the stripped, non-empty
      row contents joined with a newline.
    - `ntcir:<dialogue_id>:<k>` — the k-th (0-based) turn with sender `customer` of an NTCIR-14 STC-3 dialogue
      (`train_data_cn.json`); its text is the stripped, non-empty utterances joined with a newline.
"""

from __future__ import annotations

import json
from pathlib import Path

CORPORA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
JDDC_FILE = Path("jddc2019_sample") / "chat_0.1per.txt"
NTCIR_FILE = Path("ntcir14_stc3_customer_helpdesk") / "train_data_cn.json"


def jddc_turns(corpora_dir: Path = CORPORA_DIR) -> dict[str, str]:
    """Customer turns of the JDDC 2019 sample.

    Args:
        corpora_dir: Folder holding `jddc2019_sample/chat_0.1per.txt`.

    Returns:
        Turn id (`jddc:<session_id>:<k>`) → turn text, in corpus order.
    """
    turns: dict[str, str] = {}
    session = ""
    index = -1
    run: list[str] | None = None  # rows of the customer run being read, None while the agent speaks

    def close() -> None:
        if run is not None:
            turns[f"jddc:{session}:{index}"] = "\n".join(run)

    for line in (corpora_dir / JDDC_FILE).read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 7:
            continue
        session_id, is_agent, content = parts[0], parts[2], "\t".join(parts[6:])
        if session_id != session:
            close()
            session, index, run = session_id, -1, None
        if is_agent == "0":
            if run is None:
                index += 1
                run = []
            if content.strip():
                run.append(content.strip())
        else:
            close()
            run = None
    close()
    return turns


def ntcir_turns(corpora_dir: Path = CORPORA_DIR) -> dict[str, str]:
    """Customer turns of the NTCIR-14 STC-3 Chinese training dialogues.

    Args:
        corpora_dir: Folder holding `ntcir14_stc3_customer_helpdesk/train_data_cn.json`.

    Returns:
        Turn id (`ntcir:<dialogue_id>:<k>`) → turn text, in corpus order.
    """
    dialogues = json.loads((corpora_dir / NTCIR_FILE).read_text(encoding="utf-8"))
    turns: dict[str, str] = {}
    for dialogue in dialogues:
        customer_turns = [turn for turn in dialogue["turns"] if turn["sender"] == "customer"]
        for k, turn in enumerate(customer_turns):
            text = "\n".join(u.strip() for u in turn["utterances"] if u.strip())
            turns[f"ntcir:{dialogue['id']}:{k}"] = text
    return turns


def all_turns(corpora_dir: Path = CORPORA_DIR) -> dict[str, str]:
    """Customer turns of both corpora.

    Args:
        corpora_dir: Folder holding both corpora.

    Returns:
        Turn id → turn text, JDDC turns first, then NTCIR turns.
    """
    return {**jddc_turns(corpora_dir), **ntcir_turns(corpora_dir)}
