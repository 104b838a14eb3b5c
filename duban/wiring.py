"""The shell's one translation from the validated config to the plain values jobs/ takes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from db.models.contacts import DINGTALK, group_address, user_address
from duban.config import Config, ConfigError, ScheduleConfig
from jobs.delivery.contracts import AttachmentMaker
from jobs.lights import LightRules, Lights
from jobs.reporting import PlanWindowError, plan_window
from jobs.runtime import Runtime
from jobs.settings import LeaderInCharge, ReportingPlan, Schedule, Settings
from jobs.workdays import WorkCalendar


def schedule_of(schedule: ScheduleConfig) -> Schedule:
    return Schedule(
        every=schedule.every,
        day=schedule.day,
        weekday=schedule.weekday,
        dates=tuple(schedule.dates),
        tasks=tuple(getattr(schedule, "tasks", ())),
        sections=tuple(getattr(schedule, "sections", ())),
    )


def engine_settings(cfg: Config) -> Settings:
    index = cfg.name_index()
    return Settings(
        tz=cfg.tz,
        locale=cfg.duban.locale,
        office_name=cfg.office.name,
        office_chat_ids=tuple(cfg.office.chat_ids),
        office_addresses=office_addresses(cfg),
        leaders=tuple(
            LeaderInCharge(
                index=i,
                name=leader.name,
                units=frozenset(index.get(u, u) for u in leader.units),
                chat_ids=tuple(leader.chat_ids),
                addresses={DINGTALK: tuple(user_address(u) for u in leader.dingtalk_users)},
            )
            for i, leader in enumerate(cfg.leaders)
        ),
        escalation=cfg.escalation.model_dump(mode="json"),
        max_attempts=cfg.escalation.max_attempts,
        digest_max_items=cfg.digest.max_items,
        digest_oldest_items=cfg.digest.oldest_items,
        reporting=ReportingPlan(
            start=cfg.reporting.start,
            end=cfg.reporting.end,
            default=schedule_of(cfg.reporting.default),
            rules=tuple(schedule_of(rule) for rule in cfg.reporting.rules),
        ),
        review_within=cfg.decisions.review_within,
        review_office_after=cfg.decisions.review_office_after,
        designate_within=cfg.decisions.designate_within,
    )


def office_addresses(cfg: Config) -> dict[str, tuple[str, ...]]:
    """The office's chats on the channels other than Telegram."""
    if not cfg.dingtalk.enabled:
        return {}
    return {DINGTALK: tuple(group_address(cid) for cid in cfg.dingtalk.office_groups)}


def calendar_for(cfg: Config) -> WorkCalendar:
    """The working-day calendar: the library's plus the config's holidays and 调休 workdays."""
    return WorkCalendar(
        holidays=cfg.calendar.holidays,
        workdays=cfg.calendar.workdays,
        office_hours=cfg.calendar.office_hours,
        tz=cfg.tz,
        complete_years=cfg.calendar.complete_years,
    )


def lights_for(cfg: Config) -> Lights:
    """The lights' one definition (jobs/lights.py) with the config's calendar and rules."""
    rules = LightRules(warn_within=cfg.lights.warn_within, lead_after=cfg.escalation.lead_after)
    return Lights(calendar_for(cfg), rules)


def runtime(
    cfg: Config,
    sessions: sessionmaker[Session],
    *,
    attachments: AttachmentMaker | None = None,
) -> Runtime:
    """What the clock and the deliverer run on. attachments: the files of the office's weekly
    digest (duban.office_files.weekly_files, for a chat channel; the console prints text)."""
    return Runtime(
        sessions=sessions,
        settings=engine_settings(cfg),
        calendar=calendar_for(cfg),
        attachments=attachments,
    )


def config_plan_window(session: Session, cfg: Config, today: dt.date) -> tuple[dt.date, dt.date]:
    """jobs.reporting.plan_window for this config; an end before the start is the ConfigError
    it is to the admin (reporting.start / reporting.end)."""
    try:
        return plan_window(session, engine_settings(cfg).reporting, cfg.tz, today)
    except PlanWindowError as exc:
        raise ConfigError(str(exc)) from exc
