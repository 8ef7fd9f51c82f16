"""The first schema: resources, links, origins, obligations, rejected, api_keys, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "origins",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("bundle_type", sa.String(32), nullable=True),
        sa.Column("bundle_id", sa.String(128), nullable=True),
        sa.Column("timestamp", sa.String(64), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "resources",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("resource_type", sa.String(64), nullable=False),
        sa.Column("resource_key", sa.String(2048), nullable=False),
        sa.Column("version_id", sa.String(64), nullable=True),
        sa.Column("last_updated", sa.DateTime(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("full_url", sa.String(2048), nullable=True),
        sa.Column("origin_id", sa.Integer(), sa.ForeignKey("origins.id"), nullable=True),
        sa.Column("entry_index", sa.Integer(), nullable=False),
        sa.Column("hub", sa.Integer(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("resource_type", "resource_key", name="uq_resource"),
    )
    op.create_table(
        "resource_links",
        sa.Column(
            "resource_pk",
            sa.Integer(),
            sa.ForeignKey("resources.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("token", sa.String(2048), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
    )
    op.create_index("ix_resource_links_token", "resource_links", ["token", "kind"])
    op.create_table(
        "obligations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(2048), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("patient", sa.String(2048), nullable=True),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("owed_to", sa.String(64), nullable=True),
        sa.Column("due", sa.DateTime(), nullable=True),
        sa.Column("fulfilled_at", sa.DateTime(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("domain4", sa.String(32), nullable=True),
        sa.Column("clause", sa.String(64), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_obligations_rule_subject", "obligations", ["rule", "subject"])
    op.create_index("ix_obligations_owner", "obligations", ["owner"])
    op.create_index("ix_obligations_owed_to", "obligations", ["owed_to"])
    op.create_index("ix_obligations_patient", "obligations", ["patient"])
    op.create_index("ix_obligations_due", "obligations", ["due"])
    op.create_table(
        "rejected",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("key_name", sa.String(128), nullable=True),
        sa.Column("resource_type", sa.String(64), nullable=True),
        sa.Column("resource_id", sa.String(2048), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("issues", sa.Text(), nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("org", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("key_name", sa.String(128), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_audit_at", "audit", ["at"])


def downgrade() -> None:
    for table in ("audit", "api_keys", "rejected", "obligations", "resource_links"):
        op.drop_table(table)
    op.drop_table("resources")
    op.drop_table("origins")
