"""Lead department views: /status (tasks I lead, unit by unit) and /designate (which units a
各相关X placeholder of my task means: multi-select buttons → services.designation.designate)."""

from __future__ import annotations

from sqlalchemy import select
from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import queries
from bot.auth import led_task_ids
from bot.common import button, caller_of, mark_used, reply_long, run_service
from bot.deps import deps
from bot.keyboards import markup, new_token, pattern
from bot.texts import render
from db.engine import transaction
from db.models import Designation, Unit
from services.designation import candidates, designate
from services.target_progress import task_progress

T = "bot_status.j2"
SEL = "designate_sel"


async def status_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/status: each task my unit leads, its light and status, and every unit's current item."""
    d = deps(context)
    caller = caller_of(update, context)
    today = d.local_now().date()
    with transaction(d.sessions) as session:
        by_task = queries.led_items(session, caller.unit_id or 0)
        standings = queries.led_standings(session, d.lights, caller.unit_id or 0, today)
        task_ids = {items[0].task_number: items[0].task_id for items in by_task.values()}
        progress = task_progress(session, task_ids.values(), d.figure_rules)
    targets = {number: progress.get(task_id, []) for number, task_id in task_ids.items()}
    units = {
        (number, u.unit, u.role): u.standing
        for number, s in standings.items()
        for u in s.units
    }
    text = render(
        d.locale, T, "status", unit=caller.unit_name, tasks=by_task, standings=standings,
        units=units, targets=targets, today=today,
    )  # fmt: skip
    await reply_long(update, text)


async def designate_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/designate: one message per open placeholder of my tasks, with unit toggles."""
    d = deps(context)
    caller = caller_of(update, context)
    messages = []
    with transaction(d.sessions) as session:
        led = led_task_ids(session, caller.unit_id)
        placeholders = session.scalars(
            select(Designation)
            .where(Designation.task_id.in_(led), Designation.removed_at.is_(None))
            .order_by(Designation.task_id, Designation.position)
        ).all()
        for des in placeholders:
            units = session.scalars(
                select(Unit).where(Unit.id.in_(candidates(session, des))).order_by(Unit.name)
            ).all()
            toggles = [
                (
                    u.id,
                    u.name,
                    new_token(
                        session,
                        "desig",
                        {"designation_id": des.id, "unit_id": u.id},
                        now=d.now(),
                        unit_id=caller.unit_id,
                    ),
                )
                for u in units
            ]
            save = new_token(
                session, "desig_ok", {"designation_id": des.id}, now=d.now(), unit_id=caller.unit_id
            )
            current = queries.designated_unit_ids(session, des.task_id, des.group_id, des.role)
            context.user_data.setdefault(SEL, {})[des.id] = {
                "units": current,  # a second designation starts from the first
                "toggles": toggles,
                "save": save,
            }  # type: ignore[union-attr]
            messages.append((des.task.number, des.group.name, des.id))
    if not messages:
        await update.effective_message.reply_text(render(d.locale, T, "no_placeholders"))  # type: ignore[union-attr]
        return
    for number, group, des_id in messages:
        await update.effective_message.reply_text(  # type: ignore[union-attr]
            render(d.locale, T, "designate", task=number, group=group),
            reply_markup=_keyboard(context, des_id),
        )


def _keyboard(context: ContextTypes.DEFAULT_TYPE, des_id: int):  # type: ignore[no-untyped-def]
    d = deps(context)
    sel = context.user_data[SEL][des_id]  # type: ignore[index]
    rows = []
    toggles = sel["toggles"]
    for i in range(0, len(toggles), 2):
        rows.append(
            [
                (("✓ " if uid in sel["units"] else "") + name, data)
                for uid, name, data in toggles[i : i + 2]
            ]
        )
    rows.append([(render(d.locale, T, "save_button"), sel["save"])])
    return markup(rows)


async def toggle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    got = await button(update, context)
    if got is None:
        return
    _caller, resolved = got
    des_id, unit_id = int(resolved.payload["designation_id"]), int(resolved.payload["unit_id"])
    sel = (context.user_data or {}).get(SEL, {}).get(des_id)
    if sel is None:
        return
    if unit_id in sel["units"]:
        sel["units"].remove(unit_id)
    else:
        sel["units"].append(unit_id)
    await update.effective_message.edit_reply_markup(_keyboard(context, des_id))  # type: ignore[union-attr]


async def save(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    got = await button(update, context)
    if got is None:
        return
    caller, resolved = got
    d = deps(context)
    des_id = int(resolved.payload["designation_id"])
    sel = (context.user_data or {}).get(SEL, {}).get(des_id, {"units": []})

    def call(session):  # type: ignore[no-untyped-def]
        made = designate(
            session,
            designation_id=des_id,
            unit_ids=sel["units"],
            now=d.now(),
            contact_id=caller.contact_id,
        )
        mark_used(session, resolved, d.now(), with_siblings=("designation_id",))
        session.flush()
        names = [session.get(Unit, a.unit_id).name for a in made]  # type: ignore[union-attr]
        return {"units": names}

    result, error = run_service(d, caller, call)
    if result:
        context.user_data[SEL].pop(des_id, None)  # type: ignore[index]
        await update.effective_message.edit_reply_markup(None)  # type: ignore[union-attr]
    await update.effective_message.reply_text(error or render(d.locale, T, "designated", **result))  # type: ignore[union-attr, arg-type]


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("status", status_command),
        CommandHandler("designate", designate_command),
        CallbackQueryHandler(toggle, pattern=pattern("desig")),
        CallbackQueryHandler(save, pattern=pattern("desig_ok")),
    ]
