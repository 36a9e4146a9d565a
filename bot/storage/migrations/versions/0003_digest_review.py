"""Organizers review a digest's questions before its slot: the entries shown, and those excluded.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("keys", sa.Text(), nullable=False),
        sa.Column("excluded_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slot", "position", name="one_entry_per_place"),
    )
    op.create_index("ix_digest_entries_slot", "digest_entries", ["slot"])


def downgrade() -> None:
    op.drop_index("ix_digest_entries_slot", table_name="digest_entries")
    op.drop_table("digest_entries")
