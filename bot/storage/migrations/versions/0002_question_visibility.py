"""Questions remember whether they were asked in public: only those may be quoted in the digest.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.add_column(sa.Column("public", sa.Boolean(), nullable=True))  # unknown for earlier questions: private


def downgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("public")
