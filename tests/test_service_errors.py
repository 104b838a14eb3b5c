"""Every refusal a service can raise reads in the user's language, never as the English message."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from messages.render import Renderer

SERVICES = Path(__file__).resolve().parent.parent / "services"
CODES = sorted(
    {
        code
        for path in SERVICES.glob("*.py")
        for code in re.findall(r'code="(\w+)"', path.read_text())
    }
)
PARAMS = {"task": 7, "group": "各相关部门", "due": dt.date(2024, 3, 25), "units": "区工信局"}


def test_services_raise_coded_errors() -> None:
    assert len(CODES) >= 15


@pytest.mark.parametrize("code", CODES)
def test_each_code_has_chinese_and_english_text(code: str) -> None:
    zh = Renderer("zh_CN").render("service_errors.j2", code=code, params=PARAMS, message="ENGLISH")
    en = Renderer("en").render("service_errors.j2", code=code, params=PARAMS, message="ENGLISH")
    assert "ENGLISH" not in zh and re.search(r"[\u4e00-\u9fff]", zh)
    assert "ENGLISH" not in en and en.strip()


def test_a_dated_refusal_reads_naturally() -> None:
    text = Renderer("zh_CN").render(
        "service_errors.j2", code="date_not_later", params=PARAMS, message=""
    )
    assert "3月25日（周一）" in text
