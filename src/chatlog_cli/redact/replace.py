"""What a finding becomes: a mask (`138****5678`), a label (`[手机号]`) or a keyed pseudonym (`[手机号:7f3a9c21]`)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Iterable
from typing import Final, Literal

from chatlog_cli.errors import KeyFileError
from chatlog_cli.redact import detect
from chatlog_cli.redact.keys import KEY_ENV_VAR, ephemeral_key, key_id
from chatlog_cli.redact.kinds import (
    ADDRESS,
    BANKCARD,
    EMAIL,
    IDCARD,
    KINDS,
    LABELS,
    LANDLINE,
    NAME,
    PHONE,
    QQ,
    WECHAT,
)

Mode = Literal["mask", "label", "pseudonym"]
MODES: Final[tuple[Mode, ...]] = ("mask", "label", "pseudonym")
# 8 hex digits (32 bits): among 100,000 distinct phone numbers about one pair shares a token, so repeat-buyer
# counts stay exact in practice; 6 digits would merge ~300 pairs.
TOKEN_HEX: Final = 8
PERSON_TOKEN_HEX: Final = 10
# Ids are re-keyed as SHA-256(key, separator, id): for fixed-format ids a keyed hash is a sound PRF, and DuckDB
# computes the same function in SQL, so large outputs re-key ids inside the query (see run.py).
ID_SEPARATOR: Final = "|"
# Prefixes of the tokens that stand for buyers, agents and source files in redacted output.
BUYER_TOKEN: Final = "买家"
AGENT_TOKEN: Final = "客服"
FILE_TOKEN: Final = "文件"
TOKEN_PREFIXES: Final = (BUYER_TOKEN, AGENT_TOKEN, FILE_TOKEN)

_NUMBER_KINDS: Final = frozenset({PHONE, LANDLINE, IDCARD, BANKCARD, QQ})
_NON_DIGITS: Final = re.compile(r"[^0-9Xx]")
_ADMIN_PREFIX: Final = re.compile(
    rf"(?:{detect._PROVINCE})?(?:{detect._HAN_PLACE}{{1,5}}?(?:市|自治州|州|盟|地区|新区|区|县|旗))*"
)


def _mask_landline(value: str) -> str:
    area = 3 if value.startswith(("010", "02")) else 4
    area_code, local = (value[:area], value[area:]) if value.startswith("0") else ("", value)
    return (f"{area_code}-" if area_code else "") + "*" * (len(local) - 2) + local[-2:]


def mask_value(kind: str, value: str) -> str:
    """The masked form of a finding's canonical value (also how `scan` shows what it found)."""
    n = len(value)
    if kind == PHONE:
        return f"{value[:3]}****{value[-4:]}"
    if kind == LANDLINE:
        return _mask_landline(value)
    if kind == IDCARD:
        return value[:6] + "*" * (n - 10) + value[-4:]
    if kind == BANKCARD:
        return value[:4] + "*" * (n - 8) + value[-4:]
    if kind == EMAIL:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind == WECHAT:
        return value[:1] + "*" * max(n - 1, 4)
    if kind == QQ:
        return value[:2] + "*" * (n - 4) + value[-2:] if n >= 9 else value[:1] + "*" * (n - 1)
    if kind == ADDRESS:
        admin = _ADMIN_PREFIX.match(value)
        kept = admin.group() if admin and admin.end() < n else ""
        return kept + "****"
    if kind == NAME:
        keep = 2 if n == 4 else 1
        return value[:keep] + "*" * (n - keep)
    raise ValueError(f"unknown kind {kind!r}")


class Redactor:
    """Replaces the personal data `detect.find_pii` finds, in one mode, with one key.

    Buyers' nicks and ids are replaced by keyed tokens (`买家_…`) in every mode. Without a key the mask and label
    modes use a key made for this run: tokens then agree within one output but cannot be linked across outputs.
    """

    def __init__(self, mode: Mode = "mask", *, key: bytes | None = None, kinds: Iterable[str] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        if mode == "pseudonym" and key is None:
            raise KeyFileError(
                f"假名模式需要密钥：用 --key-file 指定，或设置环境变量 {KEY_ENV_VAR}。"
                "没有密钥的哈希可被穷举还原（手机号只有约十亿种），所以不提供。"
                "生成密钥：chatlog redact init-key ~/.config/chatlog/redact.key"
            )
        self.mode: Mode = mode
        self.kinds = frozenset(KINDS if kinds is None else kinds)
        unknown = self.kinds - set(KINDS)
        if unknown:
            raise ValueError(f"unknown kinds {sorted(unknown)}")
        self.key_is_stable = key is not None
        self._key = key if key is not None else ephemeral_key()
        self._id_prefix = hashlib.sha256(self._key + ID_SEPARATOR.encode())

    @property
    def key_id(self) -> str:
        """The key's public fingerprint (see keys.key_id)."""
        return key_id(self._key)

    def _digest(self, namespace: str, value: str) -> str:
        return hmac.new(self._key, f"{namespace}\x1f{value}".encode(), hashlib.sha256).hexdigest()

    def replacement(self, finding: detect.Finding) -> str:
        """The text that stands in for one finding."""
        label = LABELS[finding.kind]
        if self.mode == "mask":
            return mask_value(finding.kind, finding.value)
        if self.mode == "label":
            return f"[{label}]"
        return f"[{label}:{self._digest(finding.kind, finding.value)[:TOKEN_HEX]}]"

    def replace_whole(self, kind: str, value: str) -> str:
        """A whole value known to be of `kind` (a 收货人 column), whatever the detectors make of it."""
        canonical = _NON_DIGITS.sub("", value) if kind in _NUMBER_KINDS else value.strip()
        if self.mode == "mask" and kind not in (NAME, ADDRESS):
            return "****"
        return self.replacement(detect.Finding(kind, 0, len(value), canonical))

    def redact_counted(self, text: str) -> tuple[str, Counter[str]]:
        """`text` with every finding replaced, and how many of each kind were replaced."""
        findings = detect.find_pii(text, self.kinds)
        counts: Counter[str] = Counter()
        if not findings:
            return text, counts
        parts: list[str] = []
        position = 0
        for f in findings:
            parts.append(text[position : f.start])
            parts.append(self.replacement(f))
            position = f.end
            counts[f.kind] += 1
        parts.append(text[position:])
        return "".join(parts), counts

    def redact_text(self, text: str) -> str:
        """`text` with every finding replaced."""
        return self.redact_counted(text)[0]

    def person_token(self, value: str, prefix: str = BUYER_TOKEN) -> str:
        """A buyer's (or agent's) nick or id as a token: the same person, the same token under one key."""
        return f"{prefix}_{self._digest('person', value)[:PERSON_TOKEN_HEX]}"

    def rekey_id(self, value: str) -> str:
        """A message or conversation id re-hashed under the key (32 hex digits).

        The store's ids are unkeyed hashes of buyer, time and content; published as they are, they would let
        anyone confirm a guess of the redacted text.
        """
        digest = self._id_prefix.copy()
        digest.update(value.encode())
        return digest.hexdigest()[:32]

    def rekey_id_sql(self, column: str) -> tuple[str, str]:
        """`rekey_id` as a DuckDB expression over `column` and its one parameter (the key, never in the SQL)."""
        return f"left(sha256(? || '{ID_SEPARATOR}' || {column}), 32)", self._key.decode("utf-8", "replace")
