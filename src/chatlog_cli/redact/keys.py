"""The secret key behind pseudonyms: created once, kept out of every output.

A pseudonym is HMAC-SHA256(key, value). Without a key the tokens would be plain hashes, and the space of
mobile numbers (about 10⁹) is brute-forced in hours, so chatlog refuses to pseudonymise without one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path
from typing import Final

from chatlog_cli.errors import KeyFileError

KEY_ENV_VAR: Final = "CHATLOG_REDACT_KEY"
KEY_BYTES: Final = 32
MIN_KEY_CHARS: Final = 32


def create_key_file(path: Path) -> None:
    """Write a new random key (64 hex characters) readable by the owner only; never replace an existing one.

    Replacing a key silently would change every pseudonym, breaking repeat-buyer counts across archives.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"密钥文件 {path} 已存在，未覆盖（换密钥会使所有假名改变）。如确需新密钥，请先移走旧文件。"
        ) from None
    except OSError as exc:
        raise KeyFileError(f"无法创建密钥文件 {path}：{exc.strerror}。请检查目录是否存在、是否可写。") from None
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_hex(KEY_BYTES) + "\n")


def load_key(key_file: Path | None, environ: dict[str, str] | None = None) -> bytes | None:
    """The key from `--key-file`, else `$CHATLOG_REDACT_KEY`, else None."""
    env = os.environ if environ is None else environ
    if key_file is not None:
        return _read_key_file(key_file)
    text = env.get(KEY_ENV_VAR, "").strip()
    if not text:
        return None
    if len(text) < MIN_KEY_CHARS:
        raise KeyFileError(
            f"环境变量 {KEY_ENV_VAR} 太短（至少 {MIN_KEY_CHARS} 个字符）。用 chatlog redact init-key 生成密钥。"
        )
    return text.encode()


def _read_key_file(path: Path) -> bytes:
    try:
        info = path.stat()
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise KeyFileError(f"找不到密钥文件 {path}。用 chatlog redact init-key {path} 生成一个。") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "不是文本密钥"
        raise KeyFileError(f"无法读取密钥文件 {path}：{reason}。") from None
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"密钥文件 {path} 其他用户也能读取（权限 {stat.S_IMODE(info.st_mode):o}）。请运行 chmod 600 {path}。"
        )
    if len(text) < MIN_KEY_CHARS:
        raise KeyFileError(
            f"密钥文件 {path} 内容太短（至少 {MIN_KEY_CHARS} 个字符）。用 chatlog redact init-key 生成。"
        )
    return text.encode()


def ephemeral_key() -> bytes:
    """A key for one run: tokens agree within the output but cannot be linked to any other output."""
    return secrets.token_hex(KEY_BYTES).encode()


def key_id(key: bytes) -> str:
    """A short public fingerprint of the key, so manifests can say which key made the tokens without leaking it."""
    return hmac.new(key, b"chatlog key id", hashlib.sha256).hexdigest()[:8]
