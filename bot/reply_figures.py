"""The figure in a plain reply: "完成固定资产投资52.3亿元" records 52.3 against the item's
亿元 target (services/figures.py decides what fits). When several numbers or targets could be
meant, the contact is asked with buttons which one (or none) to record; each button carries the
whole report draft, so pressing it files the report (bot/replies.py, pick)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from bot import queries
from bot.auth import Caller
from bot.keyboards import MAX_ITEM_BUTTONS, choice_rows, token_code
from bot.texts import render
from services.figures import Candidate, current_targets, match_figures
from services.target_progress import format_number

T = "bot_report.j2"
CHECKED = "figure_checked"  # the draft's figure is settled (found, chosen or declined)


def _with(draft: dict[str, Any], c: Candidate | None) -> dict[str, Any]:
    if c is None:
        return {**draft, CHECKED: True, "figure": None, "target_id": None}
    return {
        **draft,
        CHECKED: True,
        "figure": c.figure,
        "target_id": c.target_id,
        # What the confirmation says: the figure in the target's unit, as written, and the target.
        "figure_text": f"{format_number(c.figure)}{c.unit_label}",
        "figure_written": c.written,
        "figure_target": c.label + c.target,
    }


def settle_figure(
    session: Session, draft: dict[str, Any], caller: Caller, now: dt.datetime, locale: str
) -> tuple[dict[str, Any], list[list[tuple[str, str]]]]:
    """The draft with its figure settled, or the draft and the buttons of a question (then the
    report waits for the answer)."""
    if draft.get(CHECKED) or not draft.get("text"):
        return draft, []
    it = queries.item(session, int(draft["period_id"]))
    targets = current_targets(session, it.task_id) if it else []
    if not targets:
        return {**draft, CHECKED: True}, []
    found = match_figures(draft["text"], targets)
    if len(found.candidates) <= 1:
        settled = _with(draft, found.figure)
        if found.figure is None and found.unfit:
            units = sorted({t.unit_label for t in targets})
            settled |= {"unfit": found.unfit, "target_units": units}
        return settled, []
    ask = token_code()  # ties the question's buttons together
    choices = [
        (render(locale, T, "figure_button", c=c), {**_with(draft, c), "ask": ask})
        for c in found.candidates[: MAX_ITEM_BUTTONS - 1]
    ]
    choices.append((render(locale, T, "no_figure_button"), {**_with(draft, None), "ask": ask}))
    rows = choice_rows(session, choices, "figure", now=now, contact_id=caller.contact_id)
    return {**draft, "ask": ask}, rows
