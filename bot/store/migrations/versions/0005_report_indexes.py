"""Dashboard indexes: the period's tickets read from one covering index; overdue tickets.

The dashboard and its CSV export read every ticket created in a period. With the report's
columns in the index that orders tickets by ``created_at``, the database counts them without
reading the table rows (SQLite's planner only picks it without statistics when it is the one
index on ``created_at``, so it replaces ``ix_tickets_created_at``, whose leading column it
shares); ``id`` second keeps the export's order (``created_at, id``) an index order and lets
the survey join read ids from the index too. ``(status, due_at)`` answers "still open and
past due" from the index and replaces ``ix_tickets_status`` the same way.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Copied, not imported: a revision must keep meaning what it meant when it was written.
REPORT_COLUMNS = [
    "created_at", "id", "category", "status", "channel", "due_at", "resolved_at", "assignee",
    "emotion",
]  # fmt: skip


def upgrade() -> None:
    """Replace the ``created_at`` and ``status`` indexes of ``tickets`` by wider ones."""
    op.create_index("ix_tickets_report", "tickets", REPORT_COLUMNS)
    op.create_index("ix_tickets_status_due_at", "tickets", ["status", "due_at"])
    op.drop_index(op.f("ix_tickets_created_at"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_status"), table_name="tickets")


def downgrade() -> None:
    """Bring back the single-column indexes."""
    op.create_index(op.f("ix_tickets_status"), "tickets", ["status"])
    op.create_index(op.f("ix_tickets_created_at"), "tickets", ["created_at"])
    op.drop_index("ix_tickets_status_due_at", table_name="tickets")
    op.drop_index("ix_tickets_report", table_name="tickets")
