"""Trainer's inbox: real customer messages to label for the NLU training data.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Copied, not imported: a revision must keep meaning what it meant when it was written.
SOURCES = ("tracker", "agent_flag")
EMOTIONS = ("anger", "anxiety", "sadness", "neutral", "positive")


def upgrade() -> None:
    """Create ``nlu_labels``."""
    op.create_table(
        "nlu_labels",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.String(255), nullable=True),
        sa.Column("message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("predicted_intent", sa.String(128), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("label_intent", sa.String(128), nullable=True),
        sa.Column("label_emotion", sa.String(16), nullable=True),
        sa.Column("labelled_by", sa.String(128), nullable=True),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nlu_labels")),
        sa.UniqueConstraint("source", "event_id", name=op.f("uq_nlu_labels_source_event_id")),
        sa.CheckConstraint(
            "source IN ({})".format(", ".join(f"'{s}'" for s in SOURCES)),
            name=op.f("ck_nlu_labels_source"),
        ),
        sa.CheckConstraint(
            "label_emotion IS NULL OR label_emotion IN ({})".format(
                ", ".join(f"'{e}'" for e in EMOTIONS)
            ),
            name=op.f("ck_nlu_labels_label_emotion"),
        ),
    )
    op.create_index(op.f("ix_nlu_labels_sender_id"), "nlu_labels", ["sender_id"])
    op.create_index(op.f("ix_nlu_labels_message_at"), "nlu_labels", ["message_at"])


def downgrade() -> None:
    """Drop ``nlu_labels``."""
    op.drop_index(op.f("ix_nlu_labels_message_at"), table_name="nlu_labels")
    op.drop_index(op.f("ix_nlu_labels_sender_id"), table_name="nlu_labels")
    op.drop_table("nlu_labels")
