"""Registration: single-use, expiring invites bind a chat account to a unit (联络员).

`duban invite UNIT` → `create_invite`; `/start <token>` → `redeem_invite`;
`duban contacts` → `list_contacts`; `duban contacts revoke ID` → `revoke_contact`.
Every binding, refusal and revocation is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from db.models import AuditLog, Contact, Invite, Unit, UnitAlias
from db.models.contacts import DINGTALK, TELEGRAM

DEFAULT_EXPIRY = dt.timedelta(days=7)
_DURATION = re.compile(r"^\s*(\d+)\s*([dhm]?)\s*$")


class RegistrationError(Exception):
    """An invite that cannot be used. `reason` is one of: unknown, expired, used, unit."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def parse_duration(text: str) -> dt.timedelta:
    """`7d`, `12h`, `30m` or a bare number of days → timedelta (ValueError names the input)."""
    m = _DURATION.match(text)
    if not m or int(m.group(1)) <= 0:
        raise ValueError(f"--expires {text!r}: use a positive number with d, h or m, e.g. 7d")
    n, unit = int(m.group(1)), m.group(2) or "d"
    return {"d": dt.timedelta(days=n), "h": dt.timedelta(hours=n), "m": dt.timedelta(minutes=n)}[
        unit
    ]


def find_unit(session: Session, name: str) -> Unit:
    """A unit by canonical name or alias; RegistrationError('unit') names the spelling."""
    unit = session.scalar(select(Unit).where(Unit.name == name.strip()))
    if unit is None:
        alias = session.scalar(select(UnitAlias).where(UnitAlias.alias == name.strip()))
        if alias is not None and alias.unit_id is not None:
            unit = session.get(Unit, alias.unit_id)
    if unit is None:
        raise RegistrationError(
            "unit", f"unknown unit {name!r}: use a unit name from the config's [[units]]"
        )
    return unit


# A code a person types (DingTalk: 绑定 CODE): no 0/O, 1/I/L; 32^8 ≈ 10^12 codes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def short_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def create_invite(
    session: Session,
    unit_name: str,
    *,
    now: dt.datetime,
    expires: dt.timedelta = DEFAULT_EXPIRY,
    channel: str = TELEGRAM,
) -> Invite:
    unit = find_unit(session, unit_name)
    # Telegram: 24 url-safe characters, within its 64-character start parameter
    # ([A-Za-z0-9_-]); elsewhere a short code a person types.
    token = secrets.token_urlsafe(18) if channel == TELEGRAM else short_code()
    invite = Invite(token=token, unit_id=unit.id, created_at=now, expires_at=now + expires)
    session.add(invite)
    session.flush()
    session.add(
        AuditLog(
            at=now,
            actor="cli",
            action="invite.create",
            subject=f"unit:{unit.id}",
            detail={
                "invite_id": invite.id,
                "expires_at": invite.expires_at.isoformat(),
                "channel": channel,
            },
        )
    )
    return invite


_ACCOUNT_PREFIX = {TELEGRAM: "tg", DINGTALK: "dt"}


def account(channel: str, user_address: str) -> str:
    """How an account is named in the audit log and the CLI: tg:501 on Telegram."""
    return f"{_ACCOUNT_PREFIX.get(channel, channel)}:{user_address}"


def redeem_invite(
    session: Session,
    token: str,
    *,
    user_address: str,
    address: str,
    display_name: str,
    now: dt.datetime,
    channel: str = TELEGRAM,
) -> Contact:
    """Bind the account (user_address on channel, written to at address) to the invite's unit.
    Unknown, expired or used tokens are refused (RegistrationError) and the refusal is audited.
    Re-binding an account that is already an active contact of another unit moves it (the old
    binding is revoked)."""
    invite = session.scalar(select(Invite).where(Invite.token == token))
    actor = account(channel, user_address)
    reason = ""
    if invite is None:
        reason = "unknown"
    elif invite.used_at is not None:
        reason = "used"
    elif invite.expires_at <= now:
        reason = "expired"
    if reason:
        session.add(
            AuditLog(
                at=now,
                actor=actor,
                action="invite.redeem",
                subject=f"invite:{invite.id}" if invite else "invite:?",
                refused=True,
                detail={"reason": reason},
            )
        )
        raise RegistrationError(reason, f"invite {reason}")
    assert invite is not None
    for old in session.scalars(_active(channel, user_address)):
        old.revoked_at = now
    contact = Contact(
        unit_id=invite.unit_id,
        channel=channel,
        user_address=user_address,
        address=address,
        display_name=display_name[:200],
        bound_at=now,
    )
    session.add(contact)
    session.flush()
    invite.used_at = now
    invite.contact_id = contact.id
    session.add(
        AuditLog(
            at=now,
            actor=actor,
            action="contact.bind",
            subject=f"unit:{invite.unit_id}",
            detail={"contact_id": contact.id, "invite_id": invite.id},
        )
    )
    return contact


@dataclass(frozen=True)
class ContactRow:
    id: int
    unit: str
    display_name: str
    channel: str
    user_address: str
    address: str
    bound_at: dt.datetime
    state: str  # active | revoked | unreachable

    @property
    def account(self) -> str:
        """tg:501: the account as the audit log names it."""
        return account(self.channel, self.user_address)


def list_contacts(session: Session, unit_name: str | None = None) -> list[ContactRow]:
    stmt = select(Contact, Unit.name).join(Unit, Unit.id == Contact.unit_id)
    if unit_name:
        stmt = stmt.where(Contact.unit_id == find_unit(session, unit_name).id)
    rows = []
    for contact, unit in session.execute(stmt.order_by(Unit.name, Contact.id)):
        state = (
            "revoked"
            if contact.revoked_at
            else ("unreachable" if contact.unreachable_at else "active")
        )
        rows.append(
            ContactRow(
                contact.id,
                unit,
                contact.display_name,
                contact.channel,
                contact.user_address,
                contact.address,
                contact.bound_at,
                state,
            )
        )
    return rows


def revoke_contact(session: Session, contact_id: int, *, now: dt.datetime, actor: str = "cli"):
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise RegistrationError("unknown", f"no contact with id {contact_id}")
    if contact.revoked_at is None:
        contact.revoked_at = now
        session.add(
            AuditLog(
                at=now,
                actor=actor,
                action="contact.revoke",
                subject=f"contact:{contact.id}",
                detail={"unit_id": contact.unit_id},
            )
        )
    return contact


def _active(channel: str, user_address: str) -> Select[tuple[Contact]]:
    return select(Contact).where(
        Contact.channel == channel,
        Contact.user_address == user_address,
        Contact.revoked_at.is_(None),
    )


def active_contact(session: Session, user_address: str, channel: str = TELEGRAM) -> Contact | None:
    """The caller's current binding, or None (unbound or revoked)."""
    return session.scalar(_active(channel, user_address).order_by(Contact.id.desc()).limit(1))
