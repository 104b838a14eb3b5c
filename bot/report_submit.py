"""Filing a report (from the /report dialogue or a reply to a reminder) and the confirmation
the contact gets."""

from __future__ import annotations

from typing import Any

from telegram.ext import ContextTypes

from bot import queries
from bot.common import run_service
from bot.deps import deps
from bot.texts import render
from services.reports import EvidenceFile, submit_report

T = "bot_report.j2"


def submit(context: ContextTypes.DEFAULT_TYPE, caller, draft: dict[str, Any], source: str):  # type: ignore[no-untyped-def]
    d = deps(context)

    def call(session):  # type: ignore[no-untyped-def]
        report = submit_report(
            session,
            period_id=draft["period_id"],
            contact_id=caller.contact_id,
            status=draft.get("status", "on_track"),
            text=draft.get("text", ""),
            figure=draft.get("figure"),
            target_id=draft.get("target_id"),
            files=[EvidenceFile(**f) for f in draft.get("files", [])],
            source=source,
            now=d.now(),
            office_name=d.office_name,
            tz=d.tz,
        )
        it = queries.item(session, draft["period_id"])
        return {"report_id": report.id, "late": report.late, "item": it, "lead": it.role == "lead"}

    return run_service(d, caller, call)


def done_text(
    context: ContextTypes.DEFAULT_TYPE,
    result: dict[str, Any],
    files: int,
    cut: int = 0,
    draft: dict[str, Any] | None = None,
) -> str:
    """The confirmation; with a reply's draft, also the figure recorded (or why none was)."""
    it = result["item"]
    draft = draft or {}
    return render(
        deps(context).locale,
        T,
        "submitted",
        task=it.task_number,
        unit=it.unit,
        lead=result["lead"],
        late=result["late"],
        files=files,
        cut=cut,
        figure=draft.get("figure_text") if draft.get("figure") is not None else None,
        written=draft.get("figure_written"),
        target=draft.get("figure_target"),
        unfit=draft.get("unfit"),
        target_units=draft.get("target_units"),
    )
