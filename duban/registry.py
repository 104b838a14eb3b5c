"""Load the config's units, aliases and groups into the database (`duban init`).

The config is the truth for these: names are matched by canonical name, so ids of existing
units (and everything that points at them) survive edits. Units that leave the config but are
still referenced are kept, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Group, GroupMember, Unit, UnitAlias
from duban.config import Config


@dataclass
class SyncResult:
    units_added: list[str] = field(default_factory=list)
    units_changed: list[str] = field(default_factory=list)
    groups_added: list[str] = field(default_factory=list)
    aliases: int = 0


def sync_units(session: Session, cfg: Config) -> SyncResult:
    result = SyncResult()
    units = {u.name: u for u in session.scalars(select(Unit))}
    for uc in cfg.units:
        unit = units.get(uc.name)
        if unit is None:
            unit = Unit(name=uc.name, kind=uc.kind, placeholder=uc.placeholder)
            session.add(unit)
            units[uc.name] = unit
            result.units_added.append(uc.name)
        elif (unit.kind, unit.placeholder, unit.from_import) != (uc.kind, uc.placeholder, False):
            unit.kind, unit.placeholder, unit.from_import = uc.kind, uc.placeholder, False
            result.units_changed.append(uc.name)
    session.flush()

    groups = {g.name: g for g in session.scalars(select(Group))}
    for gc in cfg.groups:
        if gc.name not in groups:
            groups[gc.name] = Group(name=gc.name)
            session.add(groups[gc.name])
            result.groups_added.append(gc.name)
    session.flush()
    index = cfg.name_index()
    for gc in cfg.groups:
        group = groups[gc.name]
        group.relevant_of_id = groups[index[gc.relevant_of]].id if gc.relevant_of else None
        wanted = {units[name].id for name in cfg.group_members(gc)}
        have = {m.unit_id: m for m in group.members}
        for unit_id, member in have.items():
            if unit_id not in wanted:
                group.members.remove(member)
        for unit_id in wanted - have.keys():
            group.members.append(GroupMember(unit_id=unit_id))

    # Aliases: rebuild from the config (they carry no history of their own).
    for alias in session.scalars(select(UnitAlias)):
        session.delete(alias)
    session.flush()
    for spelling, name in index.items():
        if spelling == name:
            continue
        if name in units:
            session.add(UnitAlias(alias=spelling, unit_id=units[name].id))
        else:
            session.add(UnitAlias(alias=spelling, group_id=groups[name].id))
        result.aliases += 1
    session.flush()
    return result
