"""Output files written whole or not at all: a temporary file next to the target, renamed over it at the end."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from chatlog_cli.errors import OutputFileError


def create_temporary(path: Path) -> Path:
    """Check the target and create the temporary file next to it (which also proves the directory writable)."""
    parent = path.parent
    if not parent.is_dir():
        what = "不是目录" if parent.exists() else "不存在"
        raise OutputFileError(f"导出目录 {parent} {what}。请先创建该目录，或换一个输出路径。")
    if path.is_dir():
        raise OutputFileError(
            f"{path} 是一个目录，不能作为导出文件。请在路径末尾写上文件名，如 {path / '聊天记录.xlsx'}。"
        )
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.touch(exist_ok=False)
    except OSError as exc:
        raise OutputFileError(
            f"无法在目录 {parent} 中写入文件：{exc.strerror or exc}。请换一个有写入权限的目录。"
        ) from exc
    return tmp


def replace_target(tmp: Path, path: Path) -> None:
    """Move the finished temporary file over the target (atomic on one file system)."""
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputFileError(
            f"无法替换 {path}：{exc.strerror or exc}。如果该文件正在 Excel 等程序中打开，请先关闭再试，或换一个文件名。"
        ) from exc


@contextlib.contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write; it replaces `path` when the block succeeds and is removed when it fails."""
    tmp = create_temporary(path)
    try:
        yield tmp
        replace_target(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
