"""outbox items are self-contained snapshots, dropped with a reason when they no longer hold

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 13:40:00

The first release stored no payload for a period's ladder stages (the deliverer rebuilt them
from the period). Every item now carries its frozen facts, so the stages still waiting to be
sent get theirs here, computed as that release would have rendered them.
"""

import json
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OUTBOX = sa.table("outbox", sa.column("id", sa.Integer), sa.column("payload", sa.JSON))
_CLAUSE_END = re.compile(r"[，,。；;：:！!？?]")


def _short_title(text: str, limit: int = 16) -> str:
    """messages.render.short_title as of this revision (a migration keeps its own copy)."""
    clause = _CLAUSE_END.split(text.strip(), maxsplit=1)[0].strip()
    return clause if len(clause) <= limit else clause[: limit - 1] + "…"


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dropped_at", db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("dropped_reason", sa.String(length=200), server_default="", nullable=False))
    _fill_waiting_payloads()


def _fill_waiting_payloads() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT o.id, o.kind, o.stage, o.overdue_days, o.recipient, p.id, p.label, p.due_on,"
            " p.extended_to, p.policy, a.role, a.task_id, t.number, t.text, u.id, u.name"
            " FROM outbox o JOIN outbox_digests d ON d.id = o.digest_id"
            " JOIN periods p ON p.id = o.period_id JOIN assignments a ON a.id = p.assignment_id"
            " JOIN tasks t ON t.id = a.task_id JOIN units u ON u.id = a.unit_id"
            " WHERE o.payload IS NULL AND d.state IN ('pending', 'failed', 'partial', 'sending')"
        )
    ).all()
    leads: dict[int, list[str]] = {}
    for oid, kind, stage, days, recipient, pid, label, due_on, extended_to, policy, role, \
            task_id, number, text, unit_id, unit_name in rows:  # fmt: skip
        if task_id not in leads:
            leads[task_id] = list(
                conn.execute(
                    sa.text(
                        "SELECT u.name FROM assignments a JOIN units u ON u.id = a.unit_id"
                        " WHERE a.task_id = :task AND a.role = 'lead' AND a.removed_at IS NULL"
                        " ORDER BY a.position, a.id"
                    ),
                    {"task": task_id},
                ).scalars()
            )
        due = str(extended_to or due_on)[:10]
        item = {
            "task": number, "title": _short_title(text), "task_id": task_id, "unit": unit_name,
            "unit_id": unit_id, "role": role, "due": due, "label": label,
            "leads": leads[task_id], "stage": stage, "overdue_days": days,
        }  # fmt: skip
        if kind == "overdue":
            values = policy if isinstance(policy, dict) else json.loads(policy or "{}")
            item |= {"times": stage, "of": int(values.get("overdue_times", 3))}
        name = unit_name
        if recipient != f"unit:{unit_id}":
            name = ""  # a lead, the office or a leader: delivery names them from the recipient
        conn.execute(
            _OUTBOX.update()
            .where(_OUTBOX.c.id == oid)
            .values(payload={"recipient_name": name, "item": item})
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("dropped_reason")
        batch_op.drop_column("dropped_at")
