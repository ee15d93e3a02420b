"""Which sentiment model a store uses: snownlp's default, or one trained for this shop and kept in the store.

```
STORE/models/sentiment.marshal.3   the trained model, in snownlp's Bayes format
STORE/models/sentiment.json        {"active": "trained" | "default", how the trained model was made}
```
`chatlog sentiment train` writes both and activates the new model; `--model default` switches back (the trained
file stays, `--model trained` re-activates it); `--model FILE` installs a snownlp model file from elsewhere.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from chatlog_cli.errors import UsageError
from chatlog_cli.sentiment.bayes import BayesModel
from chatlog_cli.sentiment.scorer import SentimentScorer, default_model_file
from chatlog_cli.store.store import Store

MODEL_FILE: Final = "sentiment.marshal.3"
STATE_FILE: Final = "sentiment.json"
DEFAULT: Final = "default"
TRAINED: Final = "trained"


@dataclass(frozen=True)
class ModelChoice:
    """The model a store scores with."""

    name: str  # DEFAULT or TRAINED
    path: Path
    info: dict[str, Any]  # how the trained model was made (empty for the default)

    @property
    def label(self) -> str:
        """How the model is named to users."""
        if self.name == DEFAULT:
            return "snownlp 默认模型"
        trained_at = str(self.info.get("trained_at", ""))[:16].replace("T", " ")
        return f"本店训练的模型（{trained_at}）" if trained_at else "本店训练的模型"


def _state(store: Store) -> dict[str, Any]:
    path = store.models_dir / STATE_FILE
    if not path.exists():
        return {}
    try:
        state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state


def _write_state(store: Store, state: dict[str, Any]) -> None:
    store.models_dir.mkdir(parents=True, exist_ok=True)
    path = store.models_dir / STATE_FILE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def active_model(store: Store | None) -> ModelChoice:
    """The model in use: the store's trained model when it is active, else snownlp's default."""
    if store is not None:
        state = _state(store)
        trained = store.models_dir / MODEL_FILE
        if state.get("active") == TRAINED and trained.exists():
            return ModelChoice(TRAINED, trained, dict(state.get("trained", {})))
    return ModelChoice(DEFAULT, default_model_file(), {})


def load_scorer(store: Store | None) -> tuple[SentimentScorer, ModelChoice]:
    """A scorer with the store's active model."""
    choice = active_model(store)
    return SentimentScorer.load(choice.path), choice


def install_trained(store: Store, model: BayesModel, info: dict[str, Any]) -> ModelChoice:
    """Keep a newly trained model in the store and make it the active one."""
    with store.writing():
        store.models_dir.mkdir(parents=True, exist_ok=True)
        model.write(store.models_dir / MODEL_FILE)
        info = {**info, "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        _write_state(store, {"active": TRAINED, "trained": info})
    return active_model(store)


def choose_model(store: Store, spec: str) -> ModelChoice:
    """Switch the store to `default`, back to its `trained` model, or to a snownlp model file (copied in)."""
    with store.writing():
        state = _state(store)
        if spec == DEFAULT:
            _write_state(store, {**state, "active": DEFAULT})
        elif spec == TRAINED:
            if not (store.models_dir / MODEL_FILE).exists():
                raise UsageError(
                    "这个数据目录还没有训练过的模型。请先运行 chatlog sentiment train --pos 文件 --neg 文件。"
                )
            _write_state(store, {**state, "active": TRAINED})
        else:
            source = Path(spec)
            if not source.is_file():
                raise UsageError(f"--model 应为 default、trained 或一个 snownlp 模型文件；找不到文件 {source}。")
            BayesModel.read(source)  # refuse a file snownlp could not use before replacing anything
            store.models_dir.mkdir(parents=True, exist_ok=True)
            tmp = store.models_dir / f".{MODEL_FILE}.{os.getpid()}.tmp"
            shutil.copyfile(source, tmp)
            os.replace(tmp, store.models_dir / MODEL_FILE)
            info = {"source": source.name, "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
            _write_state(store, {"active": TRAINED, "trained": info})
    return active_model(store)
