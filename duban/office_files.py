"""The office's files as of a day: the 台账 workbook (duban.ledger) and the overdue-by-lead chart
(duban.charts). The bot's /export gets them through the callable `office_files` binds
(bot.deps.ExportFiles), the office's weekly digest through `weekly_files` (the delivery's
AttachmentMaker): neither bot/ nor jobs/ reads the config."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from bot.deps import ExportFiles, OfficeFiles
from db.engine import transaction
from duban.charts import render_ledger_chart
from duban.config import Config
from duban.ledger import collect_ledger, write_ledger
from jobs.delivery.contracts import Attachment, AttachmentMaker
from messages.render import render_message

CHART = "overdue_by_lead"  # a key of duban.charts.CHARTS


async def export_files(sessions: sessionmaker[Session], cfg: Config, today: dt.date) -> OfficeFiles:
    """(xlsx, filename, png) as of `today`."""
    with transaction(sessions) as session:
        ledger = collect_ledger(session, cfg, today)
    xlsx = io.BytesIO()
    write_ledger(ledger, xlsx)
    # Drawing takes a moment: off the event loop, so other chats are not kept waiting.
    png = await asyncio.to_thread(render_ledger_chart, CHART, ledger)
    return xlsx.getvalue(), f"duban-{today.isoformat()}.xlsx", png


def office_files(sessions: sessionmaker[Session], cfg: Config) -> ExportFiles:
    return partial(export_files, sessions, cfg)


def weekly_files(sessions: sessionmaker[Session], cfg: Config) -> AttachmentMaker:
    """The weekly export's files: the 台账 workbook and the overdue-by-lead chart."""

    async def make(today: dt.date, locale: str) -> tuple[Attachment, ...]:
        xlsx, filename, png = await export_files(sessions, cfg, today)
        return (
            Attachment(
                filename,
                xlsx,
                caption=render_message(locale, "bot_office.j2", "export_caption", today=today),
            ),
            Attachment(
                "chart.png",
                png,
                caption=render_message(locale, "bot_office.j2", "chart_caption"),
                photo=True,
            ),
        )

    return make
