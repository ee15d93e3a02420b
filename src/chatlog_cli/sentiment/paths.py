"""Where snownlp's model files are, and where chatlog caches its fast-loading copies of them."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Final

from chatlog_cli.errors import ChatlogError

CACHE_ENV_VAR: Final = "CHATLOG_CACHE_DIR"


def snownlp_data_file(*parts: str) -> Path:
    """A file inside the installed snownlp package, found without importing it (importing loads every model)."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise ChatlogError("没有找到 snownlp（情感分析所需）。请运行 pip install snownlp 后重试。")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    if not path.exists():
        raise ChatlogError(
            f"snownlp 的模型文件 {path} 不存在，安装可能不完整。请运行 pip install --force-reinstall snownlp。"
        )
    return path


def cache_dir() -> Path:
    """$CHATLOG_CACHE_DIR, else the platform's user cache directory + /chatlog."""
    if configured := os.environ.get(CACHE_ENV_VAR):
        return Path(configured)
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "chatlog"
