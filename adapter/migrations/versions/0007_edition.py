"""Each obligation keeps the NHS Standard Contract edition that judged it (docs/contract.md
§11.4), so every reader gives the edition the rules gave.

Rows stored before this revision are given the edition in force at their event (the
national table, mappings/editions.toml, as judging does; an undated one the latest), and a
row whose rule does not exist in that edition is removed, as judging now makes none.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import sqlalchemy as sa
from alembic import op

from adapter.editions import editions
from adapter.instants import LONDON

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("obligations") as batch:
        batch.add_column(sa.Column("edition", sa.String(16), nullable=True))
    table = sa.table(
        "obligations",
        sa.column("rule", sa.String),
        sa.column("event_at", sa.DateTime),
        sa.column("edition", sa.String),
    )
    terms = editions().terms
    for index, term in enumerate(terms):
        start = datetime.combine(term.start, time(), LONDON).astimezone(UTC).replace(tzinfo=None)
        dated = table.c.event_at.is_not(None)
        after = dated if index == 0 else table.c.event_at >= start  # the first: all before too
        if index + 1 < len(terms):
            end = datetime.combine(terms[index + 1].start, time(), LONDON)
            after = sa.and_(after, table.c.event_at < end.astimezone(UTC).replace(tzinfo=None))
        op.execute(table.delete().where(after, table.c.rule.not_in(sorted(term.rules))))
        op.execute(table.update().where(after).values(edition=term.edition))
    latest, undated = terms[-1], table.c.event_at.is_(None)
    op.execute(table.delete().where(undated, table.c.rule.not_in(sorted(latest.rules))))
    op.execute(table.update().where(undated).values(edition=latest.edition))


def downgrade() -> None:
    with op.batch_alter_table("obligations") as batch:
        batch.drop_column("edition")
