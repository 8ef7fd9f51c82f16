"""Every stored resource keeps the Bundle scope its urn:uuid references resolve in
(adapter/scopes.py; issue 10: a re-judged group reads as the request that carried it). Rows
stored before this revision have none and resolve urn:uuid references as a lone resource.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.add_column(sa.Column("scope", sa.String(2048), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.drop_column("scope")
