"""What a DingTalk message asks for, as text commands → services.

    绑定 CODE                 bind this person (1:1) or this group to the invite's unit
    帮助 / 任务 / 群号         help; the unit's tasks; the group's openConversationId
    报送 12 [困难|已完成] 文字  a report on task 12 (a message that starts with a task number,
                             or 任务12, is one too)
    a picture or file         evidence for the report this contact sent in the last 30 minutes
    延期 12 2024-04-30 理由    an extension request;  办结 12: a lead claims completion
    <label> <code> [意见]      a digest's link (通过, 退回, 批准, 驳回, 确认办结, 查看任务 …):
                             the stored callback token, checked as a Telegram button is

Authorization is by the bound staff id (or the bound group); every refusal is audited. Each
message is handled once: its msgId is stored in the same transaction as what it did.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import queries
from bot.auth import Caller, refuse
from bot.dingtalk.decisions import DECISIONS, Ask
from bot.dingtalk.evidence import store_files
from bot.keyboards import FAMILIES, resolve, siblings
from bot.texts import refusal
from db.engine import transaction
from db.models import ReceivedMessage, Report, Target
from db.models.contacts import DINGTALK, group_address, user_address
from db.models.reports import COMPLETED, DIFFICULTY, ON_TRACK, REVIEW_NONE, REVIEW_PENDING
from messages.render import render_message
from services import ServiceError, audit
from services.completion import claim_completion
from services.extensions import request_extension
from services.registration import RegistrationError, active_contact, redeem_invite
from services.reports import EvidenceFile, attach_evidence, submit_report

T = "bot_dingtalk.j2"
EVIDENCE_WINDOW = dt.timedelta(minutes=30)
_CODE = re.compile(r"\b([a-z]{2}):([A-Za-z0-9_-]{6,16})\b")
_REPORT = re.compile(r"^(?:报送|report)?\s*(?:任务|task)?\s*(\d{1,5})(?:\s+|[：:，,])(.*)$", re.S)
_STATUS = {"顺利": ON_TRACK, "困难": DIFFICULTY, "已完成": COMPLETED, "完成": COMPLETED}
_EXTEND = re.compile(
    r"^(?:延期|extend)\s*(?:任务)?\s*(\d{1,5})\s+(\d{4}-\d{1,2}-\d{1,2})\s*(.*)$", re.S
)
_DONE = re.compile(r"^(?:办结|done)\s*(?:任务)?\s*(\d{1,5})\s*(.*)$", re.S)


@dataclass(frozen=True)
class Incoming:
    """One robot message, as the Stream SDK hands it over (the parts duban uses)."""

    msg_id: str
    staff_id: str
    nick: str = ""
    conversation_id: str = ""
    group: bool = False
    title: str = ""  # the group's name
    text: str = ""
    files: tuple[tuple[str, str, str], ...] = ()  # (download code, photo|document, file name)

    @property
    def reply_to(self) -> str:
        return group_address(self.conversation_id) if self.group else user_address(self.staff_id)


@dataclass
class DingTalkDeps:
    sessions: sessionmaker[Session]
    now: Callable[[], dt.datetime]
    tz: dt.tzinfo
    locale: str
    office_name: str
    office_groups: frozenset[str]  # group:<cid> addresses
    evidence_dir: Path
    plan_end: Callable[[Session, dt.date], dt.date] | None = None
    fetch: Callable[[str], Awaitable[bytes]] | None = None  # download code → bytes


class Commands:
    def __init__(self, d: DingTalkDeps) -> None:
        self.d = d

    def say(self, m: str, **ctx: Any) -> str:
        return render_message(self.d.locale, T, m, **ctx)

    async def handle(self, msg: Incoming) -> list[str]:
        """The replies (HTML, made into markdown by the sender) to one message; [] for a
        message handled before."""
        d = self.d
        with d.sessions() as session:
            if session.get(ReceivedMessage, (DINGTALK, msg.msg_id)) is not None:
                return []
        files = await store_files(d.fetch, d.evidence_dir, msg.files) if msg.files else []
        try:
            with transaction(d.sessions) as session:
                _seen(session, msg, d.now())
                session.flush()
                return [self._dispatch(session, msg, files)]
        except IntegrityError:
            return []  # the same frame, handled meanwhile
        except _Refused as refused:
            with transaction(d.sessions) as session:
                _seen(session, msg, d.now())
                refused.audit(session)
            return [refused.text]

    # -- identification -------------------------------------------------------------------

    def caller(self, session: Session, msg: Incoming) -> Caller:
        contact = active_contact(session, msg.staff_id, DINGTALK) if msg.staff_id else None
        if contact is None and msg.group:
            contact = active_contact(session, group_address(msg.conversation_id), DINGTALK)
        return Caller(
            user_address=msg.staff_id,
            address=msg.reply_to,
            contact_id=contact.id if contact else None,
            unit_id=contact.unit_id if contact else None,
            unit_name=contact.unit.name if contact else "",
            is_office=msg.group and msg.reply_to in self.d.office_groups,
            channel=DINGTALK,
        )

    # -- dispatch ---------------------------------------------------------------------------

    def _dispatch(self, session: Session, msg: Incoming, files: list[EvidenceFile]) -> str:
        text = msg.text.strip()
        word = text.split(maxsplit=1)[0] if text else ""
        if not msg.staff_id and not msg.group:
            # No staff id: someone outside the organisation. Nothing to bind or authorize.
            return self.say("unbound")
        if word in ("绑定", "bind"):
            return self._bind(session, msg, text[len(word) :].strip())
        if word in ("群号", "groupid") and msg.group:
            return self.say("group_id", cid=msg.conversation_id)
        caller = self.caller(session, msg)
        if not caller.bound and not caller.is_office:
            raise _Refused(self.say("unbound"), caller, "unbound", "", self.d.now())
        if word in ("帮助", "help", "/help"):
            return self.say("help", unit=caller.unit_name, office=caller.is_office)
        if word in ("任务", "tasks", "/tasks"):
            items = queries.current_items(session, caller.unit_id or 0)
            return render_message(
                self.d.locale, "bot_report.j2", "tasks", unit=caller.unit_name, items=items
            )
        code = _CODE.search(text)
        if code:
            return self._action(session, caller, text, code)
        if m := _EXTEND.match(text):
            return self._extend(session, caller, int(m.group(1)), m.group(2), m.group(3))
        if m := _DONE.match(text):
            return self._claim_done(session, caller, int(m.group(1)), m.group(2))
        if m := _REPORT.match(text):
            return self._report(session, caller, int(m.group(1)), m.group(2), files)
        if word in ("报送", "report", "/report"):
            return self._which(session, caller)
        if files:
            return self._evidence(session, caller, files)
        return self.say("hint")

    def _bind(self, session: Session, msg: Incoming, code: str) -> str:
        who = group_address(msg.conversation_id) if msg.group else msg.staff_id
        before = self.caller(session, msg)
        try:
            with session.begin_nested():
                contact = redeem_invite(
                    session,
                    code.upper()[:64],
                    user_address=who,
                    address=msg.reply_to,
                    display_name=(msg.title if msg.group else msg.nick) or who,
                    now=self.d.now(),
                    channel=DINGTALK,
                )
        except RegistrationError as exc:
            raise _Refused(
                self.say("refused", reason=exc.reason),
                before,
                "invite.redeem",
                "invite",
                self.d.now(),
                reason=exc.reason,
            ) from exc
        unit = contact.unit.name
        previous = before.unit_name if before.bound and before.unit_name != unit else ""
        return self.say("bound", unit=unit, previous=previous, group=msg.group)

    def _item(self, session: Session, caller: Caller, number: int) -> queries.Item | None:
        for it in queries.current_items(session, caller.unit_id or 0):
            if it.task_number == number and it.state in queries.REPORTABLE_STATES:
                return it
        return None

    def _which(self, session: Session, caller: Caller) -> str:
        numbers = sorted({i.task_number for i in queries.open_items(session, caller.unit_id or 0)})
        return self.say("which_task", numbers=numbers)

    def _report(
        self, session: Session, caller: Caller, number: int, rest: str, files: list[EvidenceFile]
    ) -> str:
        it = self._item(session, caller, number)
        if it is None:
            raise _Refused(
                self.say("not_yours", number=number), caller, "report.submit",
                f"task:{number}", self.d.now(), reason="not_yours",
            )  # fmt: skip
        first, _, tail = rest.strip().partition(" ")
        status = _STATUS.get(first.strip("，,：:"))
        text = tail if status else rest
        self._service(
            caller,
            "report.submit",
            lambda: submit_report(
                session,
                period_id=it.period_id,
                contact_id=caller.contact_id,
                status=status or ON_TRACK,
                text=text.strip(),
                now=self.d.now(),
                files=files,
                source="dingtalk",
                office_name=self.d.office_name,
                tz=self.d.tz,
            ),
        )
        return self.say("reported", number=number, unit=it.unit, files=len(files))

    def _evidence(self, session: Session, caller: Caller, files: list[EvidenceFile]) -> str:
        since = self.d.now() - EVIDENCE_WINDOW
        report = session.scalar(
            select(Report.id)
            .where(
                Report.contact_id == caller.contact_id,
                Report.submitted_at >= since,
                Report.review_state.in_((REVIEW_NONE, REVIEW_PENDING)),
            )
            .order_by(Report.id.desc())
            .limit(1)
        )
        if report is None:
            return self.say("files_first")
        done = self._service(
            caller,
            "report.evidence",
            lambda: attach_evidence(
                session, report_id=report, contact_id=caller.contact_id, files=files,
                now=self.d.now(),
            ),
        )  # fmt: skip
        number = done.period.assignment.task.number
        return self.say("files_added", files=len(files), number=number)

    def _extend(self, session: Session, caller: Caller, number: int, day: str, reason: str) -> str:
        it = self._item(session, caller, number)
        try:
            new_due = dt.date.fromisoformat("-".join(f"{int(x):02d}" for x in day.split("-")))
        except ValueError:
            return self.say("extension_format")
        if it is None:
            raise _Refused(
                self.say("not_yours", number=number), caller, "extension.request",
                f"task:{number}", self.d.now(), reason="not_yours",
            )  # fmt: skip
        latest = self.d.plan_end(session, self.d.now().date()) if self.d.plan_end else None
        ext = self._service(
            caller,
            "extension.request",
            lambda: request_extension(
                session, period_id=it.period_id, contact_id=caller.contact_id,
                reason=reason.strip(), new_due=new_due, now=self.d.now(),
                office_name=self.d.office_name, tz=self.d.tz, latest=latest,
            ),
        )  # fmt: skip
        return render_message(
            self.d.locale, "bot_extension.j2", "requested", item=it, new_due=ext.new_due
        )

    def _claim_done(self, session: Session, caller: Caller, number: int, note: str) -> str:
        led = queries.led_items(session, caller.unit_id or 0).get(number)
        if not led:
            raise _Refused(
                self.say("not_yours", number=number), caller, "completion.claim",
                f"task:{number}", self.d.now(), reason="not_lead",
            )  # fmt: skip
        self._service(
            caller,
            "completion.claim",
            lambda: claim_completion(
                session, task_id=led[0].task_id, contact_id=caller.contact_id,
                now=self.d.now(), note=note.strip(), office_name=self.d.office_name,
            ),
        )  # fmt: skip
        return render_message(self.d.locale, "bot_extension.j2", "claimed", task=number)

    def _action(self, session: Session, caller: Caller, text: str, code: re.Match[str]) -> str:
        """A digest's link: `<label> <prefix>:<code> [comment]`."""
        now = self.d.now()
        resolved = resolve(session, code.group(0), caller, now)
        if resolved is None:
            raise _Refused(self.say("stale"), caller, "callback.refused", "callback", now,
                           data=code.group(0))  # fmt: skip
        label = text[: code.start()].strip()
        comment = text[code.end() :].strip()
        action, p = resolved.action, resolved.payload
        if action == "review_ret" and not comment:
            return self.say("comment_needed", label=label, code=code.group(0))
        if action in ("view", "report", "extend"):
            it = queries.item(session, int(p["period_id"]))
            if it is None:
                return self.say("stale")
            if action != "view":
                return self.say(f"{action}_prompt", number=it.task_number)
            targets = list(  # bot.queries.targets is gone (figures moved it); read them here
                session.scalars(
                    select(Target.raw).where(
                        Target.task_id == it.task_id, Target.removed_at.is_(None)
                    ).order_by(Target.ordinal)
                )
            )
            return render_message(self.d.locale, "bot_report.j2", "view", item=it, targets=targets)
        decide = DECISIONS.get(action)
        if decide is None:
            return self.say("hint")
        template, m, ctx = self._service(
            caller, action, lambda: decide(Ask(session, caller, p, now, comment, self.d.tz))
        )
        resolved.token.used_at = now
        key = next(k for k in ("report_id", "extension_id", "completion_id") if k in p)
        for token in siblings(session, FAMILIES.get(action, (action,)), key, p[key]):
            token.used_at = now  # the other answers to the same question are spent too
        return render_message(self.d.locale, template, m, **ctx)

    def _service(self, caller: Caller, action: str, fn: Callable[[], Any]) -> Any:
        """Run a service inside the message's transaction; a refusal becomes _Refused (the
        transaction rolls back; the refusal is audited in a fresh one)."""
        try:
            return fn()
        except ServiceError as exc:
            raise _Refused(refusal(self.d.locale, exc), caller, action, "", self.d.now(),
                           error=exc) from exc  # fmt: skip


class _Refused(Exception):
    """A refusal to answer with `text`, audited once the message's transaction rolled back."""

    def __init__(
        self, text: str, caller: Caller, action: str, subject: str, now: dt.datetime,
        error: ServiceError | None = None, **detail: Any,
    ) -> None:  # fmt: skip
        super().__init__(text)
        self.text, self.caller, self.action, self.subject = text, caller, action, subject
        self.now, self.error, self.detail = now, error, detail

    def audit(self, session: Session) -> None:
        exc = self.error
        if exc is not None:
            audit.record(
                session, self.caller.actor or exc.actor, exc.action or self.action, exc.subject,
                now=self.now, refused=True, reason=str(exc),
            )  # fmt: skip
        else:
            refuse(session, self.caller, self.action, self.subject, now=self.now, **self.detail)


def _seen(session: Session, msg: Incoming, now: dt.datetime) -> None:
    session.add(ReceivedMessage(channel=DINGTALK, message_id=msg.msg_id[:100], received_at=now))
