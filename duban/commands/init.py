"""`duban init`: create or upgrade the database and load the config's units and groups."""

from __future__ import annotations

import argparse

from db.engine import transaction
from db.migrate import upgrade
from duban import context
from duban.importer.deadline import sync_deadlines
from duban.registry import sync_units


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "init",
        help="create or upgrade the database; load units from the config",
        description="Create the database (or upgrade its schema) and load the config's units, "
        "groups and aliases. Run it again after editing them: units are updated in place, "
        "so their assignments and reports are kept.",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ctx = context.load(args, require_schema=False)
    before, after = upgrade(ctx.engine)
    with transaction(ctx.sessions) as session:
        result = sync_units(session, ctx.config)
        deadlines = sync_deadlines(session, ctx.config)
    db = ctx.engine.url.render_as_string(hide_password=True)
    state = "created" if before is None else ("up to date" if before == after else "upgraded")
    print(f"database {db}: schema {state} (revision {after})")
    print(
        f"units: {len(ctx.config.units)} in config, {len(result.units_added)} added, "
        f"{len(result.units_changed)} changed; groups: {len(ctx.config.groups)}; "
        f"aliases: {result.aliases}"
    )
    if deadlines:
        print(f"完成时限 changed for task(s) {', '.join(map(str, deadlines))}")
    return 0
