"""SMART Backend Services clients and Bulk Data export jobs (issue 12, part 2).

A client is a row of `api_keys` with its public keys (`jwks`); its `token_hash` is the hash
of a random secret that is never shown, so it cannot be used as an API key. It earns
short-lived `access_tokens` (only their SHA-256 kept) by signing a JWT whose `jti` is kept in
`client_assertions` until it expires, so an assertion cannot be replayed. `export_jobs` are
the Bulk Data $export jobs: who asked (key and organisation), what, and how far it got.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("jwks", sa.Text(), nullable=True))
    op.create_table(
        "access_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("key_name", sa.String(128), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("granted", sa.String(256), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_access_tokens_expires", "access_tokens", ["expires_at"])
    op.create_table(
        "client_assertions",
        sa.Column("key_name", sa.String(128), primary_key=True),
        sa.Column("jti", sa.String(256), primary_key=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "export_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("key_name", sa.String(128), nullable=False),
        sa.Column("org", sa.String(64), nullable=True),
        sa.Column("group_id", sa.String(64), nullable=True),
        sa.Column("types", sa.Text(), nullable=True),
        sa.Column("since", sa.DateTime(), nullable=True),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.String(256), nullable=False),
        sa.Column("transaction_time", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("export_jobs")
    op.drop_table("client_assertions")
    op.drop_index("ix_access_tokens_expires", table_name="access_tokens")
    op.drop_table("access_tokens")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("jwks")
