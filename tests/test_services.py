"""State changes users cause: reports stop the ladder, reviews reopen it, extensions move the
due date, completion closes a task; wrong actors are refused and audited."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.engine import transaction
from db.models import Assignment, AuditLog, Contact, OutboxItem, Period, Task, Unit
from db.models.periods import ACCEPTED, DONE, OPEN, RETURNED, SUBMITTED
from db.models.tasks import LEAD, RESPONSIBLE
from services import NotFound, PermissionDenied, ServiceError
from services.completion import claim_completion, decide_completion
from services.extensions import decide_extension, request_extension
from services.reports import EvidenceFile, review_report, submit_report

TZ = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2024, 3, 20, 10, 0, tzinfo=TZ)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Task 7 led by 区发改局, with 区工信局 responsible; one March period each; a contact each."""
    with transaction(sessions) as s:
        units = {u.name: u for u in s.scalars(select(Unit))}
        task = Task(number=7, section="一、", text="服务业增加值达到1087亿元。")
        s.add(task)
        s.flush()
        ids: dict[str, int] = {"task": task.id}
        for name, role in (("区发改局", LEAD), ("区工信局", RESPONSIBLE)):
            a = Assignment(task_id=task.id, unit_id=units[name].id, role=role)
            s.add(a)
            s.flush()
            p = Period(
                assignment_id=a.id,
                label="2024-03",
                starts_on=dt.date(2024, 3, 1),
                due_on=dt.date(2024, 3, 25),
                state=OPEN,
            )
            c = Contact(
                unit_id=units[name].id,
                user_address=str(len(ids)),
                address=str(100 + len(ids)),
            )
            s.add_all([p, c])
            s.flush()
            ids[f"{role}_period"], ids[f"{role}_contact"] = p.id, c.id
        other = Contact(unit_id=units["区商务局"].id, user_address="99", address="199")
        s.add(other)
        s.flush()
        ids["stranger"] = other.id
    return ids


def outbox_kinds(s: Session) -> list[tuple[str, str]]:
    return [
        (o.kind, o.recipient.key) for o in s.scalars(select(OutboxItem).order_by(OutboxItem.id))
    ]


def test_responsible_report_goes_to_lead_for_review_and_return_reopens(sessions, world) -> None:
    with transaction(sessions) as s:
        report = submit_report(
            s,
            period_id=world["responsible_period"],
            contact_id=world["responsible_contact"],
            status="on_track",
            text="已完成季度目标的40%",
            now=NOW,
            files=[EvidenceFile(file_id="F1", kind="photo")],
        )
        period = s.get(Period, world["responsible_period"])
        assert period.state == SUBMITTED and not report.late
        lead_unit = s.get(Contact, world["lead_contact"]).unit_id
        assert outbox_kinds(s) == [("review_request", f"unit:{lead_unit}")]
        assert len(report.evidence) == 1

    with transaction(sessions) as s, pytest.raises(ServiceError, match="comment"):
        review_report(
            s,
            report_id=report.id,
            reviewer_contact_id=world["lead_contact"],
            accept=False,
            now=NOW,
        )
    with transaction(sessions) as s:
        review_report(
            s,
            report_id=report.id,
            reviewer_contact_id=world["lead_contact"],
            accept=False,
            comment="请补充数据来源",
            now=NOW + dt.timedelta(days=1),
        )
        period = s.get(Period, world["responsible_period"])
        assert period.state == RETURNED
        assert period.restarted_on == dt.date(2024, 3, 21)
        assert ("returned", f"unit:{period.assignment.unit_id}") in outbox_kinds(s)


def test_lead_report_goes_to_office_and_late_flag(sessions, world) -> None:
    with transaction(sessions) as s:
        report = submit_report(
            s,
            period_id=world["lead_period"],
            contact_id=world["lead_contact"],
            status="difficulty",
            text="资金未到位",
            now=dt.datetime(2024, 3, 26, 9, tzinfo=TZ),
        )
        assert report.late
        assert s.get(Period, world["lead_period"]).state == ACCEPTED
        assert outbox_kinds(s) == [("lead_report", "office")]


def test_other_unit_cannot_report_or_review_and_is_audited(sessions, world) -> None:
    with transaction(sessions) as s, pytest.raises(PermissionDenied):
        submit_report(
            s,
            period_id=world["lead_period"],
            contact_id=world["stranger"],
            status="on_track",
            text="x",
            now=NOW,
        )
    with transaction(sessions) as s:
        refused = s.scalars(select(AuditLog).where(AuditLog.refused)).all()
        # The refusal is committed only if the caller commits; the bot does so explicitly.
        assert refused == [] or refused[0].action == "report.submit"
    with transaction(sessions) as s:
        report = submit_report(
            s,
            period_id=world["responsible_period"],
            contact_id=world["responsible_contact"],
            status="on_track",
            text="ok",
            now=NOW,
        )
    with transaction(sessions) as s, pytest.raises(PermissionDenied):
        review_report(
            s,
            report_id=report.id,
            reviewer_contact_id=world["responsible_contact"],
            accept=True,
            now=NOW,
        )


def test_report_by_revoked_contact_or_for_unknown_period_is_refused(sessions, world) -> None:
    contact = world["responsible_contact"]
    with transaction(sessions) as s:
        s.get(Contact, contact).revoked_at = NOW
    report = {"status": "on_track", "text": "x", "now": NOW}
    with transaction(sessions) as s, pytest.raises(PermissionDenied, match="not bound") as exc:
        submit_report(s, period_id=world["responsible_period"], contact_id=contact, **report)
    assert exc.value.action == "report.submit"
    with transaction(sessions) as s, pytest.raises(NotFound):
        submit_report(s, period_id=999_999, contact_id=None, **report)
    with transaction(sessions) as s:
        assert s.get(Period, world["responsible_period"]).state == OPEN
        assert outbox_kinds(s) == []


def test_extension_approved_moves_due_and_lead_own_goes_to_office(sessions, world) -> None:
    with transaction(sessions) as s:
        ext = request_extension(
            s,
            period_id=world["responsible_period"],
            contact_id=world["responsible_contact"],
            reason="等待审批",
            new_due=dt.date(2024, 4, 10),
            now=NOW,
        )
    with transaction(sessions) as s, pytest.raises(PermissionDenied):
        decide_extension(
            s, extension_id=ext.id, approve=True, now=NOW, decider_contact_id=world["stranger"]
        )
    with transaction(sessions) as s:
        decide_extension(
            s, extension_id=ext.id, approve=True, now=NOW, decider_contact_id=world["lead_contact"]
        )
        assert s.get(Period, world["responsible_period"]).effective_due == dt.date(2024, 4, 10)
    with transaction(sessions) as s:
        own = request_extension(
            s,
            period_id=world["lead_period"],
            contact_id=world["lead_contact"],
            reason="x",
            new_due=dt.date(2024, 4, 30),
            now=NOW,
        )
        assert ("extension_request", "office") in outbox_kinds(s)
    with transaction(sessions) as s, pytest.raises(PermissionDenied, match="office"):
        decide_extension(
            s, extension_id=own.id, approve=True, now=NOW, decider_contact_id=world["lead_contact"]
        )
    with transaction(sessions) as s:
        decide_extension(s, extension_id=own.id, approve=False, now=NOW, as_office=True)
        assert s.get(Period, world["lead_period"]).effective_due == dt.date(2024, 3, 25)


def test_completion_confirmed_closes_open_periods(sessions, world) -> None:
    with transaction(sessions) as s, pytest.raises(PermissionDenied):
        claim_completion(s, task_id=world["task"], contact_id=world["responsible_contact"], now=NOW)
    with transaction(sessions) as s:
        report = submit_report(
            s, period_id=world["responsible_period"], contact_id=world["responsible_contact"],
            status="done", text="已全部完成", now=NOW,
        )  # fmt: skip
        review_report(
            s, report_id=report.id, reviewer_contact_id=world["lead_contact"], accept=True, now=NOW
        )
    with transaction(sessions) as s:
        claim = claim_completion(
            s, task_id=world["task"], contact_id=world["lead_contact"], now=NOW
        )
        assert ("completion_claim", "office") in outbox_kinds(s)
    with transaction(sessions) as s:
        decide_completion(s, completion_id=claim.id, confirm=True, now=NOW, decided_by="office")
        states = {p.state for p in s.scalars(select(Period))}
        assert states == {DONE, ACCEPTED}  # the unit's accepted period keeps its state
