"""The version history of stored traffic (issue 12: `vread`, `ETag`, `If-Match`).

`resource_versions` keeps every version the store wrote (created or updated), with the
version id it is read at: the client's `meta.versionId` when it sent one that this resource
has not used yet, else the next number the server gives. `resources.vid` is the current
version's. Rows stored before this revision become version 1 of their resource, or the
client's versionId when they carried one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.add_column(sa.Column("vid", sa.String(64), nullable=True))
    op.create_table(
        "resource_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("resource_type", sa.String(64), nullable=False),
        sa.Column("resource_key", sa.String(2048), nullable=False),
        sa.Column("vid", sa.String(64), nullable=False),
        sa.Column("stored_at", sa.DateTime, nullable=False),
        sa.Column("key_name", sa.String(128), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.UniqueConstraint("resource_type", "resource_key", "vid", name="uq_resource_version"),
    )
    op.execute("UPDATE resources SET vid = COALESCE(version_id, '1')")
    op.execute(
        "INSERT INTO resource_versions (resource_type, resource_key, vid, stored_at, key_name, "
        "body) SELECT resource_type, resource_key, vid, stored_at, key_name, body FROM resources"
    )


def downgrade() -> None:
    op.drop_table("resource_versions")
    with op.batch_alter_table("resources") as batch:
        batch.drop_column("vid")
