"""tasks keep the 责任领导 / 分管区领导 their table names

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 18:30:00

Tables in the inline and cells layouts name a task's leader in charge; the column holds those
names, 、-joined as written. Existing tasks get "" (their table named none that was kept).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("leaders", sa.String(length=300), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("leaders")
