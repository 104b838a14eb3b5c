"""`duban contacts [--unit U]` lists the bound chat accounts; `duban contacts revoke ID`."""

from __future__ import annotations

import argparse
import datetime as dt

from db.engine import transaction
from duban import context
from duban.errors import UserError
from services.registration import RegistrationError, list_contacts, revoke_contact


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "contacts",
        help="list unit contacts, or revoke one",
        description="List the chat accounts bound to units (联络员: id, unit, name, account, "
        "state, bound on), or `duban contacts revoke ID` to unbind one: it gets no more "
        "notices and may no longer act for the unit.",
    )
    p.add_argument("--unit", metavar="U", help="only this unit's contacts")
    p.add_argument("action", nargs="?", choices=["revoke"], help="revoke ID: unbind a contact")
    p.add_argument("id", nargs="?", type=int, help="the contact id (first column of the list)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args)
    now = dt.datetime.now(ctx.config.tz)
    try:
        with transaction(ctx.sessions) as session:
            if args.action == "revoke":
                if args.id is None:
                    raise UserError("usage: duban contacts revoke ID (ids: `duban contacts`)")
                contact = revoke_contact(session, args.id, now=now)
                print(
                    f"contact {contact.id} ({contact.display_name or contact.user_address}) revoked"
                )
                return 0
            rows = list_contacts(session, args.unit)
    except RegistrationError as exc:
        raise UserError(str(exc)) from exc
    if not rows:
        print("no contacts yet: `duban invite UNIT` prints a registration link")
        return 0
    for r in rows:
        bound = r.bound_at.astimezone(ctx.config.tz).strftime("%Y-%m-%d")
        print(f"{r.id:>4}  {r.unit}  {r.display_name or '-'}  {r.account}  {r.state}  {bound}")
    return 0
