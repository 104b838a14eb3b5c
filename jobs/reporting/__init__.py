"""The reporting calendar: which task reports how often, its periods and due dates, the lazy
creation of Period rows, and the loaders that feed the planner.

    schedules.py    a task's schedule, its periods and due dates, the plan's window
    periods.py      ensure_periods: Period rows appear when their window opens
    meta.py         the watermark (and the designations' next asks) in the meta table
    views.py        PeriodViews and DesignationViews for the planner
    chases.py       the 完成时限 ladders' and the review chase's views
    next_checks.py  the planners' next checks written back

Everything takes plain values (jobs/settings.py), never the config object.
"""

from jobs.reporting.chases import final_views, review_views
from jobs.reporting.meta import reset_period_watermark
from jobs.reporting.next_checks import store_next_checks, store_review_checks
from jobs.reporting.periods import WINDOW_MARGIN, ensure_periods, window_opens
from jobs.reporting.schedules import (
    PeriodSpec,
    PlanWindowError,
    periods_for,
    plan_window,
    schedule_for,
    section_matches,
    section_number,
)
from jobs.reporting.views import due_views, pending_designations, period_views

__all__ = [
    "WINDOW_MARGIN",
    "PeriodSpec",
    "PlanWindowError",
    "due_views",
    "ensure_periods",
    "final_views",
    "pending_designations",
    "period_views",
    "periods_for",
    "plan_window",
    "reset_period_watermark",
    "review_views",
    "schedule_for",
    "section_matches",
    "section_number",
    "store_next_checks",
    "store_review_checks",
    "window_opens",
]
