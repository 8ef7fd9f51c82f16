"""Every stored version records the key that wrote it (issue 15, finding 2: organisation-
scoped submit keys may not overwrite or retract what another organisation's key wrote).
Versions stored before this revision have no writer recorded (NULL).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.add_column(sa.Column("key_name", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.drop_column("key_name")
