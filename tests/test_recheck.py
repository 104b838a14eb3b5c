"""Delivery re-checks every queued notice against the current state when it claims it: what no
longer holds (reported, extended, reviewed, closed) is dropped with its reason, never sent —
also when it waited for a retry. And the leader in charge gets its own digest."""

from __future__ import annotations

import datetime as dt

from engine_fixtures import App
from memory_channel import Failure, MemoryChannel
from sqlalchemy import select
from test_deliverer import _planned_period, add_contact, unit_id

from db.engine import transaction
from db.models import Digest, OutboxItem, Period, Report
from db.models.outbox import DEAD, DROPPED, FAILED
from duban.cli import main
from duban.config import LeaderConfig, example_config_path
from duban.wiring import engine_settings
from jobs.delivery import deliver
from jobs.tick import plan_due, tick
from services.extensions import decide_extension, request_extension
from services.reports import review_report, submit_report

SH = dt.timezone(dt.timedelta(hours=8))
DUE = dt.date(2024, 3, 29)  # a Friday
LATE = dt.datetime(2024, 4, 8, 9, 0, tzinfo=SH)  # D+5 (Qingming in between): 催办, 督办 → lead


def office_with_chat(config):  # type: ignore[no-untyped-def]
    return config.model_copy(
        update={"office": config.office.model_copy(update={"chat_ids": [9000]})}
    )


def setting_up(config, sessions):  # type: ignore[no-untyped-def]
    """Task 7: 区发改局 leads, 区工信局 responsible, its March period overdue; a contact each."""
    cfg = office_with_chat(config)
    period_id = _planned_period(sessions, DUE)
    ind = add_contact(sessions, unit_id(sessions, "区工信局"), 1001)
    add_contact(sessions, unit_id(sessions, "区发改局"), 2001)
    return cfg, period_id, ind


def dropped(sessions) -> dict[str, str]:
    with sessions() as s:
        return {
            r.kind: r.dropped_reason
            for r in s.scalars(select(OutboxItem).where(OutboxItem.dropped_at.is_not(None)))
        }


def sent_kinds(channel: MemoryChannel) -> dict[str, set[str]]:
    """address → the kinds of the notices it got."""
    out: dict[str, set[str]] = {}
    for address, message in channel.received:
        out.setdefault(address, set()).update(item.kind for item in message.items)
    return out


async def test_a_report_recorded_after_queueing_drops_the_chasing(
    config, sessions, tmp_path, capsys
):
    cfg, period_id, ind = setting_up(config, sessions)
    plan_due(App(cfg, sessions), LATE)  # queued: 催办 to 区工信局, 督办 to 区发改局 and the office
    with sessions() as s:
        assert {r.kind for r in s.scalars(select(OutboxItem))} >= {
            "overdue", "escalation_lead", "escalation_office",
        }  # fmt: skip
    with transaction(sessions) as s:  # the unit reports before the digests go out
        submit_report(
            s, period_id=period_id, contact_id=ind, status="on_track", text="已完成",
            now=LATE + dt.timedelta(minutes=5), tz=SH,
        )  # fmt: skip
    channel = MemoryChannel(needs_addresses=True)
    report = await deliver(sessions, channel, engine_settings(cfg), LATE + dt.timedelta(minutes=6))

    # No chasing reaches anyone; the lead gets the report to review instead (and the office,
    # on a Monday, its weekly ledger).
    assert sent_kinds(channel) == {"2001": {"review_request"}, "9000": {"weekly_export"}}
    assert report.items_dropped == 3
    assert dropped(sessions) == {
        "overdue": "reported",
        "escalation_lead": "reported",
        "escalation_office": "reported",
    }
    with sessions() as s:  # the unit's digest had nothing left: dropped, not sent
        overdue = s.scalar(select(OutboxItem).where(OutboxItem.kind == "overdue"))
        assert overdue.state == DROPPED and overdue.sent_at is None
    # `duban outbox` counts them apart from what was sent.
    path = tmp_path / "config.toml"
    path.write_text(example_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    capsys.readouterr()
    assert main(["--config", str(path), "outbox"]) == 0
    assert capsys.readouterr().out.startswith("outbox: dropped 3, sent ")


async def test_a_retry_after_a_server_error_is_checked_again(config, sessions):
    cfg, period_id, ind = setting_up(config, sessions)
    plan_due(App(cfg, sessions), LATE)
    channel = MemoryChannel(needs_addresses=True)
    channel.fail_next(Failure(temporary="500 Internal Server Error"), times=3)
    await deliver(sessions, channel, engine_settings(cfg), LATE)
    with sessions() as s:
        overdue = s.scalar(select(OutboxItem).where(OutboxItem.kind == "overdue"))
        assert overdue.state == FAILED
        retry_at = overdue.next_attempt_at
    assert channel.received == []
    with transaction(sessions) as s:
        submit_report(
            s, period_id=period_id, contact_id=ind, status="on_track", text="已完成",
            now=LATE + dt.timedelta(seconds=30), tz=SH,
        )  # fmt: skip
    await deliver(sessions, channel, engine_settings(cfg), retry_at + dt.timedelta(hours=1))
    assert "overdue" not in sent_kinds(channel).get("1001", set())
    assert "escalation_lead" not in sent_kinds(channel).get("2001", set())
    assert dropped(sessions)["overdue"] == "reported"


async def test_an_approved_extension_drops_the_old_ladder_and_a_review_drops_its_request(
    config, sessions
):
    cfg, period_id, ind = setting_up(config, sessions)
    lead = add_contact(sessions, unit_id(sessions, "区发改局"), 2002)
    plan_due(App(cfg, sessions), LATE)
    with transaction(sessions) as s:
        ext = request_extension(
            s, period_id=period_id, contact_id=ind, reason="资料未齐", now=LATE,
            new_due=dt.date(2024, 4, 30), tz=SH,
        )  # fmt: skip
        decide_extension(s, extension_id=ext.id, approve=True, now=LATE, decider_contact_id=lead)
    channel = MemoryChannel(needs_addresses=True)
    await deliver(sessions, channel, engine_settings(cfg), LATE + dt.timedelta(minutes=1))
    assert dropped(sessions)["overdue"] == "due date extended to 2024-04-30"
    # The unit hears of the decision, not of the old 催办; the lead's request was decided
    # before it went out, so it is dropped too.
    assert sent_kinds(channel)["1001"] == {"extension_result"}
    assert dropped(sessions)["extension_request"] == "already decided"

    # A report reviewed before its review request goes out: the request is dropped.
    with transaction(sessions) as s:
        s.get(Period, period_id).state = "open"
        report = submit_report(
            s, period_id=period_id, contact_id=ind, status="on_track", text="进展",
            now=LATE + dt.timedelta(hours=1), tz=SH,
        )  # fmt: skip
        review_report(
            s, report_id=report.id, reviewer_contact_id=lead, accept=True,
            now=LATE + dt.timedelta(hours=1), tz=SH,
        )  # fmt: skip
    await deliver(sessions, channel, engine_settings(cfg), LATE + dt.timedelta(hours=2))
    assert dropped(sessions)["review_request"] == "already reviewed"
    with sessions() as s:
        assert s.scalar(select(Report)).review_state == "accepted"


async def test_the_leader_in_charge_gets_its_digest(config, sessions):
    """D+8: the leader in charge of the lead department hears of the overdue unit, by name of
    the lead department; without a chat configured, the digest is dead with the reason."""
    leader = LeaderConfig(name="张副区长", units=["区发改局"], chat_ids=[7000])
    cfg = office_with_chat(config).model_copy(update={"leaders": [leader]})
    _planned_period(sessions, DUE)
    add_contact(sessions, unit_id(sessions, "区工信局"), 1001)
    add_contact(sessions, unit_id(sessions, "区发改局"), 2001)
    d8 = dt.datetime(2024, 4, 11, 9, 0, tzinfo=SH)  # D+8 (03-29 → 04-11, Qingming off)
    channel = MemoryChannel(needs_addresses=True)
    await tick(App(cfg, sessions), channel, d8)
    to_leader = [m for m in channel.sent if m.role == "leader"]
    assert len(to_leader) == 1
    message = to_leader[0]
    assert (message.name, message.addresses, message.kind) == (
        "张副区长", ("7000",), "escalation_leader",
    )  # fmt: skip
    assert "任务7" in message.parts[0] and "牵头：区发改局" in message.parts[0]

    # The same config without the leader's chat: dead at once, with the key to set.
    silent = cfg.model_copy(update={"leaders": [leader.model_copy(update={"chat_ids": []})]})
    with transaction(sessions) as s:  # as on the day before D+8
        s.execute(OutboxItem.__table__.delete())
        s.execute(Digest.__table__.delete())
        s.get(Period, 1).next_check_at = d8 - dt.timedelta(days=1)
    plan_due(App(silent, sessions), d8)
    report = await deliver(sessions, channel, engine_settings(silent), d8)
    assert report.undeliverable == 1
    with sessions() as s:
        row = s.scalar(select(OutboxItem).where(OutboxItem.kind == "escalation_leader"))
        assert row.state == DEAD and "leaders[0].chat_ids is empty" in row.last_error


async def test_a_report_reviewed_by_one_lead_is_no_longer_asked_of_the_other(config, sessions):
    """Task 7 has two lead units; both are asked to review 区工信局's report. The first one
    accepts it before the digests go out: neither request is sent."""
    import factories

    with transaction(sessions) as s:
        task = factories.add_task(
            s, 7, "推进重点项目建设", units=("区发改局", "区商务局", "区工信局"), leads=2
        )
        period_id = factories.add_period(s, task, "区工信局", DUE).id
    ind = add_contact(sessions, unit_id(sessions, "区工信局"), 1001)
    dev = add_contact(sessions, unit_id(sessions, "区发改局"), 2001)
    add_contact(sessions, unit_id(sessions, "区商务局"), 3001)
    at = dt.datetime(2024, 3, 27, 10, 0, tzinfo=SH)
    with transaction(sessions) as s:
        report = submit_report(
            s, period_id=period_id, contact_id=ind, status="on_track", text="进展", now=at, tz=SH
        )
        review_report(s, report_id=report.id, reviewer_contact_id=dev, accept=True, now=at, tz=SH)
    with sessions() as s:
        asked = [r for r in s.scalars(select(OutboxItem)) if r.kind == "review_request"]
        assert len(asked) == 2
    channel = MemoryChannel(needs_addresses=True)
    await deliver(sessions, channel, engine_settings(config), at + dt.timedelta(minutes=1))
    assert not any("review_request" in kinds for kinds in sent_kinds(channel).values())
    with sessions() as s:
        reasons = [r.dropped_reason for r in s.scalars(select(OutboxItem))
                   if r.kind == "review_request"]  # fmt: skip
    assert reasons == ["already reviewed", "already reviewed"]
