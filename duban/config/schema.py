"""The config's schema: pydantic models of the admin's TOML (config.example.toml explains each
key). Every default lives here, escalation's included (jobs/ gets them through duban.wiring).
A validator that knows which key is wrong raises KeyedError, so the message names that key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from duban.config.dingtalk import DingTalkConfig
from jobs.workdays import library_years, partial_year_message, partial_years
from services.target_progress import FigureRules


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GeneralConfig(_Strict):
    timezone: str = "Asia/Shanghai"
    locale: Literal["zh_CN", "en"] = "zh_CN"
    data_dir: str = "data"
    # Empty means a SQLite file under data_dir; PostgreSQL: postgresql+psycopg://user@host/db
    database_url: str = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


def _url_with_scheme(value: str, schemes: tuple[str, ...]) -> str:
    """An empty value, or a URL of one of `schemes` with a host (httpx takes no other)."""
    if not value:
        return value
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in schemes or not rest.split("/", 1)[0]:
        raise ValueError(
            f"{value!r} is no {' or '.join(f'{s}://' for s in schemes)} URL with a host"
        )
    return value


class WebhookConfig(_Strict):
    url: str
    listen: str = "0.0.0.0"
    port: Annotated[int, Field(ge=1, le=65535)] = 8443
    secret_token_env: str = "DUBAN_WEBHOOK_SECRET"

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        return _url_with_scheme(value, ("https", "http"))


class TelegramConfig(_Strict):
    enabled: bool = True  # false: a DingTalk-only deployment needs no bot token
    token_env: str = "DUBAN_BOT_TOKEN"
    token_file: str = ""
    base_url: str = ""
    base_file_url: str = ""
    proxy: str = ""
    mode: Literal["polling", "webhook"] = "polling"
    webhook: WebhookConfig | None = None

    @field_validator("base_url", "base_file_url")
    @classmethod
    def _server_url(cls, value: str) -> str:
        return _url_with_scheme(value, ("http", "https"))

    @field_validator("proxy")
    @classmethod
    def _proxy_url(cls, value: str) -> str:
        return _url_with_scheme(value, ("http", "https", "socks5", "socks5h"))

    @model_validator(mode="after")
    def _webhook_needs_settings(self) -> TelegramConfig:
        if self.mode == "webhook" and self.webhook is None:
            raise ValueError("mode = 'webhook' needs a [telegram.webhook] table with url")
        return self


class OfficeConfig(_Strict):
    """The district office (督查室): admin chats that receive the top escalation digests."""

    name: str = "区政府督查室"
    chat_ids: list[int] = Field(default_factory=list)


class ImporterConfig(_Strict):
    """How `duban import` reads tables."""

    # The unit that leads a task whose table names only a 各相关X placeholder as its lead
    # (empty: such a task is an error).
    placeholder_lead: str = ""


class LeaderConfig(_Strict):
    """A district leader in charge (分管区领导) of some lead departments."""

    name: str
    units: list[str] = Field(default_factory=list)  # or none: the table names the leader
    chat_ids: list[int] = Field(default_factory=list)
    dingtalk_users: list[str] = Field(default_factory=list)  # DingTalk staff ids (userid)


UnitKind = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]
# A unit, group or alias name, as long as the database keeps one.
Name = Annotated[str, Field(min_length=1, max_length=100)]


class UnitConfig(_Strict):
    name: Name
    kind: UnitKind = "department"
    aliases: list[Name] = Field(default_factory=list)
    placeholder: bool = False  # shipped example entries an admin must replace


class GroupConfig(_Strict):
    """A named set of units. Either fixed members (by kind and/or by name) or, with
    `relevant_of`, a 各相关X placeholder whose members the lead designates per task."""

    name: Name
    kinds: list[str] = Field(default_factory=list)
    members: list[str] = Field(default_factory=list)
    relevant_of: str = ""
    aliases: list[Name] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_way(self) -> GroupConfig:
        if self.relevant_of and (self.kinds or self.members):
            raise ValueError("a group with relevant_of takes no kinds or members")
        if not self.relevant_of and not (self.kinds or self.members):
            raise ValueError("a group needs kinds, members or relevant_of")
        return self


class DesignationConfig(_Strict):
    """An admin's answer to a 各相关X placeholder: which units it means for one task."""

    task: Annotated[int, Field(ge=1)]
    group: str
    units: list[str] = Field(min_length=1)


class CalendarConfig(_Strict):
    office_hours: tuple[dt.time, dt.time] = (dt.time(9, 0), dt.time(18, 0))
    holidays: list[dt.date] = Field(default_factory=list)
    workdays: list[dt.date] = Field(default_factory=list)  # 调休 make-up workdays
    # Years beyond the holiday library whose holidays and workdays above are listed in full.
    complete_years: list[Annotated[int, Field(ge=2000, le=2200)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> CalendarConfig:
        start, end = self.office_hours
        if start >= end:
            raise ValueError("office_hours must be [start, end] with start before end")
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            listed = ", ".join(d.isoformat() for d in both)
            raise ValueError(f"dates listed as both holiday and workday: {listed}")
        partial = partial_years(self.holidays, self.workdays, self.complete_years)
        if partial:
            key = "holidays" if any(d.year == partial[0] for d in self.holidays) else "workdays"
            raise KeyedError(f"calendar.{key}", partial_year_message(partial[0]))
        first, last = library_years()
        listed_years = {d.year for d in self.holidays}
        for year in self.complete_years:
            if not first <= year <= last and year not in listed_years:
                raise KeyedError(
                    "calendar.complete_years",
                    f"complete_years names {year}, but calendar.holidays lists no date of it: "
                    f"list {year}'s statutory holidays (元旦, 春节, …) first"
                )
        return self


Weekday = Annotated[int, Field(ge=1, le=7)]


class ScheduleConfig(_Strict):
    """How often an assignment reports. every = month | week | quarter | once."""

    every: Literal["month", "week", "quarter", "once"] = "month"
    day: Annotated[int, Field(ge=1, le=31)] = 25  # month/quarter: day of month
    weekday: Weekday = 5  # week: 1 = Monday … 7 = Sunday
    dates: list[dt.date] = Field(default_factory=list)  # once: the deadlines

    @model_validator(mode="after")
    def _once_has_dates(self) -> ScheduleConfig:
        if self.every == "once" and not self.dates:
            raise ValueError("every = 'once' needs dates = [...]")
        return self


class ScheduleRule(ScheduleConfig):
    """A schedule for some tasks or sections, overriding the default."""

    tasks: list[int] = Field(default_factory=list)
    sections: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _targets_something(self) -> ScheduleRule:
        if not self.tasks and not self.sections:
            raise ValueError("a reporting rule needs tasks = [...] or sections = [...]")
        return self


class ReportingConfig(_Strict):
    start: dt.date | None = None  # default: the day of import
    end: dt.date | None = None  # default: 31 December of the start year
    default: ScheduleConfig = Field(default_factory=ScheduleConfig)
    rules: list[ScheduleRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _end_after_start(self) -> ReportingConfig:
        if self.start and self.end and self.end < self.start:
            raise KeyedError(
                "reporting.end",
                f"end ({self.end.isoformat()}) is before start ({self.start.isoformat()})",
            )
        return self


NonNegative = Annotated[int, Field(ge=0)]


class EscalationConfig(_Strict):
    """The ladder, in working days around a period's due date D."""

    remind_before: list[Annotated[int, Field(ge=1)]] = Field(default_factory=lambda: [3, 1])
    remind_on_due: bool = True
    overdue_after: Annotated[int, Field(ge=1)] = 1
    overdue_every: Annotated[int, Field(ge=1)] = 2
    overdue_times: NonNegative = 3
    lead_after: Annotated[int, Field(ge=1)] = 2
    office_after: Annotated[int, Field(ge=1)] = 5
    leader_after: NonNegative = 8  # 0 switches the leader stage off
    max_attempts: Annotated[int, Field(ge=1)] = 5  # delivery attempts before an item is dead

    @model_validator(mode="after")
    def _ordered(self) -> EscalationConfig:
        if self.office_after <= self.lead_after:
            raise ValueError("office_after must be later than lead_after")
        if self.leader_after and self.leader_after <= self.office_after:
            raise ValueError("leader_after must be later than office_after (or 0 for off)")
        return self


class DigestConfig(_Strict):
    """A digest (one recipient's message of a tick) of more than `max_items` items is sent
    as a summary: counts per kind, unit and section, the `oldest_items` oldest items, and
    where the rest is (the ledger). A catch-up after weeks of downtime stays one message."""

    max_items: Annotated[int, Field(ge=1)] = 30
    oldest_items: Annotated[int, Field(ge=1)] = 10


class LightsConfig(_Strict):
    """The ledger's and the chat views' lights (jobs/lights.py): a unit turns yellow this many
    working days before a due date it has not reported yet. Red follows the ladder's
    `escalation.lead_after`, so it needs no setting of its own."""

    warn_within: Annotated[int, Field(ge=0, le=20)] = 3


Aggregate = Literal["sum", "max", "latest"]


class FigureRuleConfig(_Strict):
    """How one task's target (or all its targets) adds up the units' latest figures."""

    task: Annotated[int, Field(ge=1)]
    target: Annotated[int, Field(ge=1)] | None = None  # the Nth target the text states; None: all
    aggregate: Aggregate


class FiguresConfig(_Strict):
    """[figures]: a target's progress from the units' latest figures (sum, max or latest)."""

    aggregate: Aggregate = "sum"
    rules: list[FigureRuleConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_rule_each(self) -> FiguresConfig:
        seen: dict[tuple[int, int], int] = {}
        for i, rule in enumerate(self.rules):
            key = (rule.task, rule.target or 0)
            if key in seen:
                what = f"task {rule.task}" + (f" target {rule.target}" if rule.target else "")
                raise KeyedError(
                    f"figures.rules[{i}]", f"{what} already has a rule (figures.rules[{seen[key]}])"
                )
            seen[key] = i
        return self

    def figure_rules(self) -> FigureRules:
        return FigureRules(
            self.aggregate, {(r.task, r.target or 0): r.aggregate for r in self.rules}
        )


Positive = Annotated[int, Field(ge=1)]


class DecisionsConfig(_Strict):
    """What lead units are asked to decide, and how long they have (working days)."""

    review_within: Positive = 3  # a report unreviewed this long: its lead is reminded
    review_office_after: Positive = 3  # … and this many more: the office is told
    designate_within: Positive = 3  # a 各相关X designation request is due this long after it


class DeadlineConfig(_Strict):
    """完成时限 set by the admin for some tasks (instead of what the table's column says)."""

    tasks: list[Annotated[int, Field(ge=1)]] = Field(min_length=1)
    date: dt.date


class Config(_Strict):
    duban: GeneralConfig = Field(default_factory=GeneralConfig)
    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    dingtalk: DingTalkConfig = Field(default_factory=DingTalkConfig)
    office: OfficeConfig = Field(default_factory=OfficeConfig)
    units: list[UnitConfig] = Field(default_factory=list)
    groups: list[GroupConfig] = Field(default_factory=list)
    aliases: dict[Name, str] = Field(default_factory=dict)
    leaders: list[LeaderConfig] = Field(default_factory=list)
    designations: list[DesignationConfig] = Field(default_factory=list)
    importer: ImporterConfig = Field(default_factory=ImporterConfig)
    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    reporting: ReportingConfig = Field(default_factory=ReportingConfig)
    escalation: EscalationConfig = Field(default_factory=EscalationConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    lights: LightsConfig = Field(default_factory=LightsConfig)
    figures: FiguresConfig = Field(default_factory=FiguresConfig)
    decisions: DecisionsConfig = Field(default_factory=DecisionsConfig)
    deadlines: list[DeadlineConfig] = Field(default_factory=list)

    # Where the file was loaded from; relative paths (data_dir, token_file) resolve against it.
    base_dir: Path = Field(default=Path("."), exclude=True)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.duban.timezone)

    @property
    def database_url(self) -> str:
        if self.duban.database_url:
            return self.duban.database_url
        return f"sqlite:///{self.data_path / 'duban.db'}"

    @property
    def data_path(self) -> Path:
        path = Path(self.duban.data_dir)
        return path if path.is_absolute() else self.base_dir / path

    def unit_by_name(self) -> dict[str, UnitConfig]:
        return {u.name: u for u in self.units}

    def name_index(self) -> dict[str, str]:
        """Every known spelling (canonical names and aliases) → canonical unit or group name."""
        index: dict[str, str] = {}
        for unit in self.units:
            index[unit.name] = unit.name
            for alias in unit.aliases:
                index[alias] = unit.name
        for group in self.groups:
            index[group.name] = group.name
            for alias in group.aliases:
                index[alias] = group.name
        index.update(self.aliases)
        return index

    def group_members(self, group: GroupConfig) -> list[str]:
        """Canonical unit names of a fixed group (a relevant_of group has none until designated)."""
        if group.relevant_of:
            return []
        index = self.name_index()
        names = {index[m] for m in group.members}
        names |= {u.name for u in self.units if u.kind in group.kinds}
        return sorted(names, key=[u.name for u in self.units].index)

    @model_validator(mode="after")
    def _names_resolve(self) -> Config:
        _check_names(self)
        return self


def _check_names(cfg: Config) -> None:
    """Names are unique across units, groups and aliases, and every reference resolves."""
    owner: dict[str, str] = {}  # spelling → "units[3]" etc., to name both places in a clash

    def claim(name: str, where: str) -> None:
        if name in owner:
            raise KeyedError(where, f"{name!r} is already defined at {owner[name]}")
        owner[name] = where

    for i, unit in enumerate(cfg.units):
        claim(unit.name, f"units[{i}].name")
        for j, alias in enumerate(unit.aliases):
            claim(alias, f"units[{i}].aliases[{j}]")
    for i, group in enumerate(cfg.groups):
        claim(group.name, f"groups[{i}].name")
        for j, alias in enumerate(group.aliases):
            claim(alias, f"groups[{i}].aliases[{j}]")
    targets = dict(owner)
    for alias, target in cfg.aliases.items():
        claim(alias, f"aliases.{alias}")
        if target in cfg.aliases and target not in targets:
            raise KeyedError(
                f"aliases.{alias}",
                f"alias points to {target!r}, which is itself an alias (of "
                f"{cfg.aliases[target]!r}): point it at a unit or group name",
            )
        if target not in targets:
            raise KeyedError(
                f"aliases.{alias}", f"alias points to {target!r}, which is no unit or group"
            )

    units = {u.name for u in cfg.units}
    groups = {g.name: g for g in cfg.groups}
    index = cfg.name_index()
    for i, group in enumerate(cfg.groups):
        for j, member in enumerate(group.members):
            if index.get(member) not in units:
                raise KeyedError(f"groups[{i}].members[{j}]", f"{member!r} is no known unit")
        if group.relevant_of:
            base = index.get(group.relevant_of)
            if base not in groups or groups[base].relevant_of:
                raise KeyedError(
                    f"groups[{i}].relevant_of",
                    f"{group.relevant_of!r} is no group with fixed members",
                )
    for i, des in enumerate(cfg.designations):
        group = groups.get(index.get(des.group, ""))
        if group is None or not group.relevant_of:
            raise KeyedError(f"designations[{i}].group", f"{des.group!r} is no 各相关 group")
        for j, name in enumerate(des.units):
            if index.get(name) not in units:
                raise KeyedError(f"designations[{i}].units[{j}]", f"{name!r} is no known unit")
    lead = cfg.importer.placeholder_lead
    if lead and index.get(lead) not in units:
        raise KeyedError("importer.placeholder_lead", f"{lead!r} is no known unit")
    for i, leader in enumerate(cfg.leaders):
        for j, name in enumerate(leader.units):
            if index.get(name) not in units:
                raise KeyedError(f"leaders[{i}].units[{j}]", f"{name!r} is no known unit")


class KeyedError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def deadline_overrides(cfg: Config) -> dict[int, dt.date]:
    """Task number → 完成时限 from `[[deadlines]]` (a later entry wins for a task listed twice)."""
    return {number: entry.date for entry in cfg.deadlines for number in entry.tasks}
