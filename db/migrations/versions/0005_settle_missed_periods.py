"""a later report settles a unit's earlier missed periods (period state 'missed')

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 18:50:00

No schema change: periods.state takes a new value. From now on a report settles the unit's
earlier periods that went unreported past their due date (services/reports.py): they are kept
as 'missed', no longer chased, and no longer overdue in the ledger. This applies the same rule
to what a database already holds, so an upgraded ledger does not show months-old misses as
overdue until the unit's next report.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# An open or returned period is settled when the same assignment has a report for a later
# period, submitted after this period's (effective) due date. date() exists in SQLite and in
# PostgreSQL (a cast there); reports.submitted_at is UTC, due dates are local: the day may
# differ by one at midnight, which only moves a report sent on the due day itself.
_SETTLE = """
UPDATE periods SET state = 'missed', next_check_at = NULL
WHERE state IN ('open', 'returned')
  AND EXISTS (
    SELECT 1 FROM reports r JOIN periods later ON later.id = r.period_id
    WHERE later.assignment_id = periods.assignment_id
      AND later.due_on > COALESCE(periods.extended_to, periods.due_on)
      AND date(r.submitted_at) > COALESCE(periods.extended_to, periods.due_on)
  )
"""


def upgrade() -> None:
    op.execute(_SETTLE)


def downgrade() -> None:
    # The release before knows no 'missed': such periods are open again (their ladder has run).
    op.execute("UPDATE periods SET state = 'open' WHERE state = 'missed'")
