"""What a simulation prints: one jsonl object per event, or a timeline excerpt and a summary."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from db.contracts import AGED_KINDS
from duban.simulate.model import SimOptions, SimResult
from jobs.delivery import DeliveredMessage, QueuedItem


def message_event(message: DeliveredMessage, tz: dt.tzinfo) -> dict[str, Any]:
    """The jsonl object of one delivered message (a contract: keep keys and spelling). An
    overdue or escalation item also has `overdue_days`: working days after its due date up
    to and including the day of the message, as the message said."""
    return {
        "at": message.at.astimezone(tz).isoformat(),
        "recipient": message.recipient_name,
        "role": message.role,
        "kind": message.kind,
        "items": [_item(i) for i in message.items],
    }


def _item(item: QueuedItem) -> dict[str, Any]:
    facts = item.facts
    out = {"task": facts.task, "unit": facts.unit, "due": facts.due, "kind": item.kind}
    if item.kind in AGED_KINDS:
        out["overdue_days"] = int(facts.overdue_days or 0)
    return out


KIND_LABELS = {
    "reminder": "提醒 reminders",
    "due": "到期提醒 due today",
    "overdue": "催办 overdue notices",
    "escalation_lead": "督办→牵头单位 escalations to lead",
    "escalation_office": "督办→督查室 escalations to office",
    "escalation_leader": "督办→分管区领导 escalations to leader",
    "designate": "请指定 designation requests",
    "review_overdue": "审核超期 reviews left undone",
}


def format_text(result: SimResult, options: SimOptions, excerpt: int = 25) -> str:
    """A timeline excerpt and a summary."""
    lines = [
        f"simulated {options.start} → {options.end}: reply rate {options.reply_rate:.0%}, "
        f"late rate {options.late_rate:.0%}, seed {options.seed}",
        "",
        "timeline (excerpt):",
    ]
    for event in result.events[:excerpt]:
        at = event["at"][:16].replace("T", " ")
        if event.get("event") == "report":
            lines.append(f"  {at}  ← {event['unit']} reports on task {event['task']}")
        else:
            items = event["items"]
            tasks = ", ".join(str(i["task"]) for i in items[:6]) + (" …" if len(items) > 6 else "")
            lines.append(
                f"  {at}  → {event['recipient']} ({event['role']}) {event['kind']}: "
                f"{len(items)} item(s), tasks {tasks}"
            )
    if len(result.events) > excerpt:
        lines.append(f"  … {len(result.events) - excerpt} more events (use --format jsonl)")
    items_by_kind = result.items_by_kind
    lines += ["", "summary:"]
    lines.append(
        f"  ticks {result.ticks}, messages {result.messages}, reports {result.reports}, "
        f"reviews {result.reviews}, placeholders designated {result.designations}"
    )
    for kind, label in KIND_LABELS.items():
        lines.append(f"  {label:<40} {items_by_kind.get(kind, 0):>6} item(s)")
    others = {k: v for k, v in items_by_kind.items() if k not in KIND_LABELS}
    for kind, n in sorted(others.items()):
        lines.append(f"  {kind:<40} {n:>6} item(s)")
    if result.dead:
        lines.append(f"  dead outbox items: {result.dead} (see `duban outbox`)")
    lines += ["", "on-time rate per unit (periods due in the window):"]
    total = [0, 0, 0]
    for unit, (due, on_time, late) in sorted(
        result.per_unit.items(), key=lambda kv: (-(kv[1][1] / kv[1][0]) if kv[1][0] else 0, kv[0])
    ):
        total = [total[0] + due, total[1] + on_time, total[2] + late]
        rate = on_time / due if due else 0.0
        lines.append(f"  {unit:<24} {on_time:>3}/{due:<3} on time {rate:6.1%}  late {late}")
    if total[0]:
        lines.append(
            f"  {'all units':<24} {total[1]:>3}/{total[0]:<3} on time {total[1] / total[0]:6.1%}"
            f"  late {total[2]}"
        )
    return "\n".join(lines)


def format_jsonl(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False)
