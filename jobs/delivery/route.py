"""Route: a recipient becomes the addresses its digest goes to, grouped by locale.

A unit → its active, reachable contacts on the channel; the office → the config's chats
(office.chat_ids on Telegram, [dingtalk] office_groups on DingTalk); a leader in charge → its
chats (leaders[].chat_ids on Telegram, leaders[].dingtalk_users on DingTalk). A recipient nobody can
receive for gets a `reason` instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from db.contracts import Recipient, RecipientKind
from db.models import Contact, Unit
from db.models.contacts import TELEGRAM
from jobs.delivery.contracts import Target
from jobs.settings import Settings
from messages.render import normalise_locale

# Each unit's name with its active, reachable contacts (none: one row of NULLs), in one query.
_UNIT_CONTACTS = (
    select(Unit.id, Unit.name, Contact.address, Contact.locale)
    .outerjoin(
        Contact,
        (Contact.unit_id == Unit.id)
        & (Contact.channel == bindparam("channel"))
        & Contact.revoked_at.is_(None)
        & Contact.unreachable_at.is_(None),
    )
    .where(Unit.id.in_(bindparam("units", expanding=True)))
    .order_by(Contact.id)
)
CHUNK = 500
NO_CONTACT = "no active, reachable contact (invite one: duban invite)"
CONFIG_CHANNEL = TELEGRAM  # office.chat_ids and leaders[].chat_ids are Telegram chats


def route(
    session: Session, settings: Settings, recipients: Iterable[Recipient], channel: str
) -> dict[Recipient, Target]:
    """Targets of these recipients on `channel`, with one query for all units (names and
    contacts)."""
    recipients = list(recipients)
    default_locale = normalise_locale(settings.locale)
    unit_ids = sorted(r.ref for r in recipients if r.kind is RecipientKind.UNIT)
    names: dict[int, str] = {}
    addresses: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    conn = session.connection()
    for start in range(0, len(unit_ids), CHUNK):
        chunk = unit_ids[start : start + CHUNK]
        params = {"units": chunk, "channel": channel}
        for unit_id, name, address, locale in conn.execute(_UNIT_CONTACTS, params):
            names[unit_id] = name
            if address is None:
                continue  # no contact
            loc = normalise_locale(locale) if locale else default_locale
            if str(address) not in addresses[unit_id][loc]:
                addresses[unit_id][loc].append(str(address))
    return {
        r: _target(r, settings, default_locale, names, addresses, channel) for r in recipients
    }


def _target(
    recipient: Recipient,
    settings: Settings,
    default_locale: str,
    names: dict[int, str],
    addresses: dict[int, dict[str, list[str]]],
    channel: str,
) -> Target:
    configured = channel == CONFIG_CHANNEL
    if recipient.kind is RecipientKind.UNIT:
        unit_id = recipient.ref
        groups = tuple((loc, tuple(a)) for loc, a in sorted(addresses.get(unit_id, {}).items()))
        return Target(
            name=names.get(unit_id, recipient.key),
            groups=groups or ((default_locale, ()),),
            unit_id=unit_id,
            reason="" if groups else NO_CONTACT,
        )
    if recipient.kind is RecipientKind.OFFICE:
        if configured:
            office = tuple(str(c) for c in settings.office_chat_ids)
        else:
            office = tuple(settings.office_addresses.get(channel, ()))
        return Target(
            settings.office_name,
            ((default_locale, office),),
            reason=""
            if office
            else "office.chat_ids is empty in the config"
            if configured
            else f"[{channel}] office_groups is empty in the config",
        )
    leader = next((x for x in settings.leaders if x.index == recipient.ref), None)
    if leader is None:
        return Target(
            recipient.key, ((default_locale, ()),), reason=f"unknown recipient {recipient.key!r}"
        )
    if configured:
        chats, key = tuple(str(c) for c in leader.chat_ids), "chat_ids"
    else:
        chats, key = tuple(leader.addresses.get(channel, ())), f"{channel}_users"
    return Target(
        leader.name,
        ((default_locale, chats),),
        reason="" if chats else f"leaders[{leader.index}].{key} is empty in the config",
    )
