"""Every message of every bot dialogue and command-line text exists in Chinese and in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

MESSAGES = Path(__file__).resolve().parent.parent / "messages"
DIALOGUES = sorted(
    p.name for pattern in ("bot_*.j2", "cli_*.j2") for p in (MESSAGES / "zh_CN").glob(pattern)
)


def keys(locale: str, name: str) -> set[str]:
    return set(re.findall(r'm == "(\w+)"', (MESSAGES / locale / name).read_text("utf-8")))


@pytest.mark.parametrize("name", DIALOGUES)
def test_both_locales_have_the_same_messages(name: str) -> None:
    zh, en = keys("zh_CN", name), keys("en", name)
    assert zh, name
    assert zh == en, f"{name}: only in zh_CN {sorted(zh - en)}, only in en {sorted(en - zh)}"
