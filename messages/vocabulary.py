"""The one vocabulary of the 督办 state: progress status words, lights, and a reporting
period's workflow state, per locale. Messages, the ledger, the charts and the chat views all
take their words from here (templates through the `status`, `light` and `period_state`
filters), so 滞后 means the same thing everywhere.

What each status and light *means* is decided in one place too: jobs/lights.py.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """How a task (or one unit's part of it) is progressing, least to most advanced."""

    NOT_STARTED = "not_started"  # 未启动: nothing reported yet, nothing overdue
    ON_SCHEDULE = "on_schedule"  # 序时推进: reported, on time
    BEHIND = "behind"  # 滞后: overdue, self-reported difficulty, or past 完成时限
    COMPLETED = "completed"  # 已完成: the unit(s) reported the work done
    CLOSED = "closed"  # 已办结: the office confirmed the task done


class Light(StrEnum):
    """The task's 督办 light, mildest first (max() by RANK gives a task's worst)."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"

    @property
    def rank(self) -> int:
        return _LIGHT_RANK[self]


_LIGHT_RANK = {Light.GREEN: 0, Light.YELLOW: 1, Light.RED: 2}

STATUS_WORDS: dict[str, dict[Status, str]] = {
    "zh_CN": {
        Status.NOT_STARTED: "未启动",
        Status.ON_SCHEDULE: "序时推进",
        Status.BEHIND: "滞后",
        Status.COMPLETED: "已完成",
        Status.CLOSED: "已办结",
    },
    "en": {
        Status.NOT_STARTED: "not started",
        Status.ON_SCHEDULE: "on schedule",
        Status.BEHIND: "behind",
        Status.COMPLETED: "completed",
        Status.CLOSED: "closed",
    },
}
LIGHT_WORDS: dict[str, dict[Light, str]] = {
    "zh_CN": {Light.RED: "红", Light.YELLOW: "黄", Light.GREEN: "绿"},
    "en": {Light.RED: "red", Light.YELLOW: "yellow", Light.GREEN: "green"},
}
LIGHT_EMOJI = {Light.RED: "🔴", Light.YELLOW: "🟡", Light.GREEN: "🟢"}

# What a unit picks when it reports (the stored Report.status codes) in the status vocabulary.
REPORT_STATUS = {
    "on_track": Status.ON_SCHEDULE,
    "difficulty": Status.BEHIND,
    "done": Status.COMPLETED,
}

# A reporting period's workflow state (db.models.periods), as chat lists show it.
PERIOD_STATE_WORDS: dict[str, dict[str, str]] = {
    "zh_CN": {
        "open": "待报送",
        "overdue": "逾期未报",
        "returned": "被退回，待重新报送",
        "submitted": "已报送，待审核",
        "accepted": "已通过",
        "missed": "逾期未报（已由后续报送结清）",
        "done": STATUS_WORDS["zh_CN"][Status.CLOSED],
        "cancelled": "已取消",
    },
    "en": {
        "open": "to report",
        "overdue": "overdue",
        "returned": "returned, report again",
        "submitted": "reported, awaiting review",
        "accepted": "accepted",
        "missed": "missed (settled by a later report)",
        "done": STATUS_WORDS["en"][Status.CLOSED],
        "cancelled": "cancelled",
    },
}


def _locale(locale: str) -> str:
    return locale if locale in STATUS_WORDS else "zh_CN"


def status_word(status: Status | str, locale: str = "zh_CN") -> str:
    return STATUS_WORDS[_locale(locale)][Status(status)]


def light_word(light: Light | str, locale: str = "zh_CN") -> str:
    return LIGHT_WORDS[_locale(locale)][Light(light)]


def period_state_word(state: str, locale: str = "zh_CN") -> str:
    return PERIOD_STATE_WORDS[_locale(locale)].get(state, state)


def report_status_word(code: str, locale: str = "zh_CN") -> str:
    """A stored report status (on_track / difficulty / done) as the status vocabulary says it
    (an unknown code as it is)."""
    status = REPORT_STATUS.get(code)
    return status_word(status, locale) if status is not None else code


def light_meanings(warn_within: int, lead_after: int) -> list[tuple[Light, str]]:
    """What each light means (the ledger's 说明 sheet; jobs/lights.py decides them)."""
    return [
        (
            Light.RED,
            f"有单位最近一期逾期未报、已过牵头单位督办节点（应报日后第{lead_after}个工作日起），"
            "或任务已过完成时限仍未办结",
        ),
        (
            Light.YELLOW,
            f"有单位逾期但未到牵头单位督办节点，或报送被退回待重报，"
            f"或有一期在{warn_within}个工作日内到期尚未报送",
        ),
        (Light.GREEN, "各单位均已报送最近一期（之前漏报的期次已由后续报送结清），或任务已办结"),
    ]


STATUS_MEANINGS: dict[Status, str] = {
    Status.NOT_STARTED: "尚无报送，也没有逾期",
    Status.ON_SCHEDULE: "已按期报送",
    Status.BEHIND: "逾期未报、报送自述滞后，或任务已过完成时限",
    Status.COMPLETED: "最近一次报送为已完成（任务：全部单位已完成）",
    Status.CLOSED: "督查室已确认办结",
}
