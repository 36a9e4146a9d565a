"""Mail received at the bot's address: each kept with its raw bytes, and what became of it.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("sender_name", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("references", sa.Text(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index(op.f("ix_inbound_mail_sender"), "inbound_mail", ["sender"], unique=False)
    op.create_index(op.f("ix_inbound_mail_received_at"), "inbound_mail", ["received_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_inbound_mail_received_at"), table_name="inbound_mail")
    op.drop_index(op.f("ix_inbound_mail_sender"), table_name="inbound_mail")
    op.drop_table("inbound_mail")
