"""Status judged when read: obligations keep their event time and, when only the clock
decides them, the wording to re-judge them at any instant; resources keep the document's
and message timestamps and the FHIR release they were read as, instead of the Bundle they
came in (the origins table goes).

Obligations stored before this revision were judged at the moment they were stored and
cannot be re-judged, so they are cleared; re-posting the resources (or any change to a
group) evaluates them again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM obligations")
    with op.batch_alter_table("obligations") as batch:
        batch.add_column(sa.Column("event_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("clock", sa.Text(), nullable=True))
    with op.batch_alter_table("resources") as batch:
        batch.add_column(sa.Column("sent_at", sa.String(64), nullable=True))
        batch.add_column(sa.Column("message_at", sa.String(64), nullable=True))
        batch.add_column(sa.Column("release", sa.String(8), nullable=True))
    op.execute(
        "UPDATE resources SET sent_at = (SELECT o.timestamp FROM origins o "
        "WHERE o.id = resources.origin_id AND o.bundle_type = 'document')"
    )
    op.execute(
        "UPDATE resources SET message_at = (SELECT o.timestamp FROM origins o "
        "WHERE o.id = resources.origin_id AND o.bundle_type = 'message')"
    )
    with op.batch_alter_table("resources") as batch:
        batch.drop_column("origin_id")
        batch.drop_column("entry_index")
    op.drop_table("origins")


def downgrade() -> None:
    op.create_table(
        "origins",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("bundle_type", sa.String(32), nullable=True),
        sa.Column("bundle_id", sa.String(128), nullable=True),
        sa.Column("timestamp", sa.String(64), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("resources") as batch:
        batch.add_column(sa.Column("origin_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("entry_index", sa.Integer(), nullable=False, server_default="0"))
        batch.drop_column("release")
        batch.drop_column("message_at")
        batch.drop_column("sent_at")
    with op.batch_alter_table("obligations") as batch:
        batch.drop_column("clock")
        batch.drop_column("event_at")
