"""`--unit U` of the listing commands: a unit by any spelling (name or alias), or a clear
error naming the closest known names, or the members of a group given instead of a unit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Group, Unit
from duban.errors import UserError
from duban.importer import NameIndex


def unit_of_option(session: Session, text: str) -> Unit:
    """The unit `--unit text` means; UserError when it is unknown or a group."""
    index = NameIndex.from_session(session)
    name = index.lookup(text)
    if name is not None and index.is_group(name):
        raise UserError(f"--unit {text!r}: {_group_hint(session, name)}")
    unit = session.scalar(select(Unit).where(Unit.name == name)) if name is not None else None
    if unit is None:
        hint = "、".join(index.closest(text)) or "(none)"
        raise UserError(f"--unit {text!r}: no known unit; closest known: {hint}")
    return unit


def _group_hint(session: Session, name: str) -> str:
    """What to pass instead of a group: one of its member units."""
    group = session.scalar(select(Group).where(Group.name == name))
    members = [m.unit.name for m in group.members] if group is not None else []
    if not members:
        return f"{name} is a group whose units the lead designates per task; name one unit"
    shown = "、".join(members[:8]) + (" …" if len(members) > 8 else "")
    return f"{name} is a group, not a unit; name one of its {len(members)} units: {shown}"
