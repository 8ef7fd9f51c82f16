"""Resources keep the MessageHeader of the message they arrived in, so that a stored
resource is judged with its message's parties and acknowledgements as when it was posted
(docs/contract.md §2). Resources stored before this revision have none: re-posting their
message restores it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.add_column(sa.Column("message", sa.String(2048), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.drop_column("message")
