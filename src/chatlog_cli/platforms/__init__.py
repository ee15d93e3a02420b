"""The registry of export formats, and detection by content.

A new platform is one module exposing `FORMATS` and one line in `REGISTRY`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from chatlog_cli.errors import FormatDetectionError, UsageError
from chatlog_cli.platforms import (
    jd,
    jd_sessions,
    pinduoduo,
    taobao,
    taobao_conversation,
    taobao_im,
    taobao_txt,
    youzan,
)
from chatlog_cli.platforms.base import ExportFormat, Sample

REGISTRY: Final[tuple[ExportFormat, ...]] = (
    *jd.FORMATS,
    *jd_sessions.FORMATS,
    *pinduoduo.FORMATS,
    *youzan.FORMATS,
    *taobao.FORMATS,
    *taobao_txt.FORMATS,
    *taobao_im.FORMATS,
    *taobao_conversation.FORMATS,
)

# Below this, a format's sniff is not trusted.
MIN_CONFIDENCE: Final = 0.5


@dataclass(frozen=True)
class Detection:
    """The format chosen for a file and how sure detection was."""

    format: ExportFormat
    confidence: float


def get_format(name: str) -> ExportFormat:
    """A registered format by `--format` name."""
    for fmt in REGISTRY:
        if fmt.name == name:
            return fmt
    raise UsageError(f"没有名为 {name} 的格式。可用：{', '.join(f.name for f in REGISTRY)}（见 chatlog formats）。")


def platforms() -> list[str]:
    """Platform names in registry order."""
    return list(dict.fromkeys(f.platform for f in REGISTRY))


def detect(sample: Sample, *, platform: str | None = None) -> Detection:
    """Pick the most confident format for a file (optionally only among one platform's formats)."""
    candidates = [f for f in REGISTRY if platform is None or f.platform == platform]
    if platform is not None and not candidates:
        raise UsageError(f"不认识的平台 {platform}。可用：{', '.join(platforms())}。")
    scored = sorted(((f.sniff(sample), i, f) for i, f in enumerate(candidates)), key=lambda t: (-t[0], t[1]))
    best_score, _, best = scored[0]
    if best_score >= MIN_CONFIDENCE:
        return Detection(best, best_score)
    expected = "\n".join(f"  - {f.name}（{f.title}）：{f.recognized_by}" for f in candidates)
    raise FormatDetectionError(
        f"{sample.source.label}：认不出这是哪种聊天记录导出。{sample.describe()}。\n"
        f"chatlog 认识的格式：\n{expected}\n"
        "如果这是其他平台或自定义的表格，请写一个列映射文件并用 --map 导入（见 docs/mapping.md）。"
    )
