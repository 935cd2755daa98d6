"""Ticket lifecycle: event log, surveys, staff users, assignee, follow-up, encrypted phones.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from bot.store.crypto import decrypt, encrypt

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Copied, not imported: a revision must keep meaning what it meant when it was written.
ROLES = ("agent", "trainer", "admin")

tickets = sa.table("tickets", sa.column("id", sa.Integer), sa.column("phone", sa.Text))


def _rewrite_phones(convert: Callable[[str], str | None]) -> None:
    """Apply ``convert`` to every stored phone number (encrypt on upgrade, decrypt on down)."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(tickets.c.id, tickets.c.phone).where(tickets.c.phone.isnot(None)))
    for ticket_id, phone in rows.fetchall():
        bind.execute(tickets.update().where(tickets.c.id == ticket_id).values(phone=convert(phone)))


def upgrade() -> None:
    """Add the lifecycle columns and tables; encrypt the phone numbers already stored."""
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("phone", type_=sa.Text(), existing_nullable=True)
        batch.add_column(sa.Column("assignee", sa.String(128), nullable=True))
        batch.add_column(
            sa.Column("follow_up", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(op.f("ix_tickets_assignee"), ["assignee"])
    _rewrite_phones(encrypt)

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(160), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_events_ticket_id_tickets")
        ),
    )
    op.create_index(op.f("ix_ticket_events_ticket_id"), "ticket_events", ["ticket_id"])

    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("solved", sa.Boolean(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_surveys_ticket_id_tickets")
        ),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_surveys_ticket_id")),
        sa.CheckConstraint(
            "rating IS NULL OR rating BETWEEN 1 AND 5", name=op.f("ck_surveys_rating")
        ),
    )
    op.create_index(op.f("ix_surveys_sender_id"), "surveys", ["sender_id"])
    op.create_index(op.f("ix_surveys_answered_at"), "surveys", ["answered_at"])

    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_users_username")),
        sa.CheckConstraint(
            "role IN ({})".format(", ".join(f"'{r}'" for r in ROLES)),
            name=op.f("ck_staff_users_role"),
        ),
    )


def downgrade() -> None:
    """Drop the lifecycle tables and columns; store phone numbers in plain text again."""
    op.drop_table("staff_users")
    op.drop_index(op.f("ix_surveys_answered_at"), table_name="surveys")
    op.drop_index(op.f("ix_surveys_sender_id"), table_name="surveys")
    op.drop_table("surveys")
    op.drop_index(op.f("ix_ticket_events_ticket_id"), table_name="ticket_events")
    op.drop_table("ticket_events")
    _rewrite_phones(decrypt)
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index(op.f("ix_tickets_assignee"))
        batch.drop_column("resolved_at")
        batch.drop_column("follow_up")
        batch.drop_column("assignee")
        batch.alter_column("phone", type_=sa.String(64), existing_nullable=True)
