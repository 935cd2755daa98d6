"""Database models of the tickets store.

Schema changes go through Alembic revisions in ``bot/store/migrations/versions``; these
classes describe the same tables for the ORM and must be kept in step with the revisions.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

from bot.store.crypto import EncryptedText

# Fixed constraint names keep migrations identical on SQLite and PostgreSQL and let later
# revisions drop or alter constraints by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
Base: Any = declarative_base(metadata=metadata)

#: Every status a ticket can have, in lifecycle order.
TICKET_STATUSES = ("open", "handed_off", "in_progress", "resolved", "closed", "cancelled")

#: Statuses in which a ticket is still being worked on (the customer may add to or cancel it).
ACTIVE_STATUSES = ("open", "handed_off", "in_progress")

#: Staff roles, least to most privileged.
STAFF_ROLES = ("agent", "trainer", "admin")

#: What a ticket event records (``TicketEvent.kind``).
EVENT_KINDS = (
    "created",
    "status",
    "assigned",
    "info_added",
    "note",
    "staff_reply",
    "survey",
    "follow_up",
    "viewed_phone",
)

#: Where a message in the trainer's inbox came from: the tracker store (the NLU was unsure)
#: or a staff agent who flagged a misunderstood message in the console.
NLU_LABEL_SOURCES = ("tracker", "agent_flag")

#: Emotion labels (DESIGN.md §5, §6).
EMOTIONS = ("anger", "anxiety", "sadness", "neutral", "positive")

#: Priorities run from 1 (most urgent) to 5 (least urgent).
PRIORITY_MIN, PRIORITY_MAX, PRIORITY_DEFAULT = 1, 5, 3


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A datetime column that always hands back timezone-aware UTC values.

    PostgreSQL keeps the zone (``timestamptz``) but SQLite stores naive text, so values are
    normalised to UTC on the way in and tagged as UTC on the way out. Naive input is taken
    to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Ticket(Base):
    """One customer complaint, recorded once, with its handling state.

    Attributes:
        number: Public ticket number ``TS{YYYYMMDD}-{NNNN}``, unique, what customers quote.
        sender_id: Rasa conversation id of the customer.
        channel: Input channel (``rest``, ``socketio``, ``wechat``).
        category: Complaint intent, e.g. ``complain_delivery``.
        description: The customer's own words, kept whole.
        phone: Contact number as given; masked whenever it leaves the store.
        status: One of ``TICKET_STATUSES``.
        priority: 1 (most urgent) to 5.
        emotion: Peak emotion seen in the conversation (``anger``, ``anxiety``, ...).
        threat: Whether the customer threatened to escalate outside (12315, media, ...).
        idempotency_key: Caller-chosen key that makes retried creates return the same ticket.
        due_at: When the SLA says the customer gets an answer.
        assignee: Username of the staff member handling it.
        follow_up: Raised when the customer was unhappy afterwards (survey rating <= 2).
        resolved_at: When it was last resolved.
    """

    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True)
    number = Column(String(32), nullable=False, unique=True)
    sender_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=False)
    category = Column(String(64), nullable=False, index=True)
    description = Column(Text, nullable=False)
    order_id = Column(String(128), nullable=True)
    phone = Column(EncryptedText(), nullable=True)
    desired_outcome = Column(Text, nullable=True)
    status = Column(String(32), nullable=False, default="open", server_default="open")
    priority = Column(
        Integer, nullable=False, default=PRIORITY_DEFAULT, server_default=str(PRIORITY_DEFAULT)
    )
    emotion = Column(String(32), nullable=True)
    threat = Column(
        Boolean(create_constraint=False), nullable=False, default=False, server_default=false()
    )
    idempotency_key = Column(String(255), nullable=True, unique=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)
    due_at = Column(UTCDateTime(), nullable=True)
    assignee = Column(String(128), nullable=True, index=True)
    follow_up = Column(
        Boolean(create_constraint=False), nullable=False, default=False, server_default=false()
    )
    resolved_at = Column(UTCDateTime(), nullable=True)
    # Loaded with the ticket in one extra query (async sessions cannot lazy-load).
    survey = relationship("Survey", uselist=False, lazy="selectin", back_populates="ticket")

    __table_args__ = (
        CheckConstraint(
            "status IN ({})".format(", ".join(f"'{s}'" for s in TICKET_STATUSES)),
            name="status",
        ),
        CheckConstraint(f"priority BETWEEN {PRIORITY_MIN} AND {PRIORITY_MAX}", name="priority"),
        # Tickets by creation time, with the columns the dashboard counts and the CSV export
        # reads: a period is read from the index alone (revision 0005).
        Index(
            "ix_tickets_report",
            "created_at",
            "id",
            "category",
            "status",
            "channel",
            "due_at",
            "resolved_at",
            "assignee",
            "emotion",
        ),
        # Open tickets past due (the dashboard's SLA breaches), and any filter on status.
        Index("ix_tickets_status_due_at", "status", "due_at"),
    )

    def __repr__(self) -> str:
        return f"<Ticket {self.number} {self.category} {self.status}>"


class TicketEvent(Base):
    """One entry of a ticket's append-only history: who changed what, and when.

    Attributes:
        kind: One of ``EVENT_KINDS``.
        actor: ``bot``, ``customer``, ``staff:<username>`` or ``api:<token name>``.
        from_status: Status before a ``status`` event.
        to_status: Status after a ``status`` event.
        detail: Free text (the added information, the note, the reply).
    """

    __tablename__ = "ticket_events"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id"), nullable=False, index=True)
    at = Column(UTCDateTime(), nullable=False, default=utcnow)
    actor = Column(String(160), nullable=False)
    kind = Column(String(32), nullable=False)
    from_status = Column(String(32), nullable=True)
    to_status = Column(String(32), nullable=True)
    detail = Column(Text, nullable=True)


class Survey(Base):
    """The satisfaction survey of one resolved ticket (at most one per ticket).

    Attributes:
        rating: 1 (very unhappy) to 5 (very happy); empty when skipped.
        solved: Whether the customer says the problem was solved; empty when skipped.
        comment: Optional free text.
        asked_at: When the bot started asking.
        answered_at: When the answers were stored; answers are stored once.
    """

    __tablename__ = "surveys"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id"), nullable=False, unique=True)
    sender_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=False)
    rating = Column(Integer, nullable=True)
    solved = Column(Boolean(create_constraint=False), nullable=True)
    comment = Column(Text, nullable=True)
    asked_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    answered_at = Column(UTCDateTime(), nullable=True, index=True)
    ticket = relationship("Ticket", back_populates="survey", lazy="raise")

    __table_args__ = (CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),)


class StaffUser(Base):
    """A staff account of the console; only a password hash is stored."""

    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(128), nullable=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)
    active = Column(
        Boolean(create_constraint=False), nullable=False, default=True, server_default=true()
    )
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    last_login_at = Column(UTCDateTime(), nullable=True)

    __table_args__ = (
        CheckConstraint(
            "role IN ({})".format(", ".join(f"'{r}'" for r in STAFF_ROLES)), name="role"
        ),
    )


class TicketCounter(Base):
    """Last ticket sequence number handed out per day (``YYYYMMDD``).

    Incrementing one row per day inside the creating transaction serialises concurrent
    creates on that row (a row lock on PostgreSQL, the write lock on SQLite), so numbers are
    allocated without gaps or duplicates.
    """

    __tablename__ = "ticket_counters"

    day = Column(String(8), primary_key=True)
    value = Column(Integer, nullable=False, default=0, server_default="0")


class ApiToken(Base):
    """A bearer token of the staff console API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id = Column(Integer, primary_key=True)
    name = Column(String(128), nullable=False)
    token_hash = Column(String(64), nullable=False, unique=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    revoked = Column(
        Boolean(create_constraint=False), nullable=False, default=False, server_default=false()
    )


class NluLabel(Base):
    """A real customer message in the trainer's inbox, and the trainer's label for it.

    Attributes:
        source: One of ``NLU_LABEL_SOURCES``.
        sender_id: Rasa conversation id the message belongs to.
        event_id: Id of the message's event in the tracker store; unique per source, which
            makes syncing from the tracker store idempotent. May be empty for agent flags
            raised from a transcript that does not carry tracker store ids.
        message_id: Rasa's id of the message, if known.
        message_at: When the customer sent the message.
        text: The message as typed (personal data is masked on display and export).
        predicted_intent: The NLU's best guess (before any ``nlu_fallback``).
        confidence: Confidence of ``predicted_intent``.
        label_intent: The intent the trainer chose; empty while unlabelled.
        label_emotion: The emotion the trainer chose (one of ``EMOTIONS``), optional.
        labelled_by: Who labelled it.
        labelled_at: When it was labelled.
        exported_at: When it was written to the NLU training data; empty until then.
        created_at: When it entered the inbox.
    """

    __tablename__ = "nlu_labels"

    id = Column(Integer, primary_key=True)
    source = Column(String(16), nullable=False)
    sender_id = Column(String(255), nullable=False, index=True)
    event_id = Column(Integer, nullable=True)
    message_id = Column(String(255), nullable=True)
    message_at = Column(UTCDateTime(), nullable=True, index=True)
    text = Column(Text, nullable=False)
    predicted_intent = Column(String(128), nullable=True)
    confidence = Column(Float, nullable=True)
    label_intent = Column(String(128), nullable=True)
    label_emotion = Column(String(16), nullable=True)
    labelled_by = Column(String(128), nullable=True)
    labelled_at = Column(UTCDateTime(), nullable=True)
    exported_at = Column(UTCDateTime(), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("source", "event_id", name="uq_nlu_labels_source_event_id"),
        CheckConstraint(
            "source IN ({})".format(", ".join(f"'{s}'" for s in NLU_LABEL_SOURCES)),
            name="source",
        ),
        CheckConstraint(
            "label_emotion IS NULL OR label_emotion IN ({})".format(
                ", ".join(f"'{e}'" for e in EMOTIONS)
            ),
            name="label_emotion",
        ),
    )

    def __repr__(self) -> str:
        return f"<NluLabel {self.id} {self.predicted_intent}->{self.label_intent}>"


class AuditEntry(Base):
    """One line of the console's audit log: who viewed or changed what, from where.

    Attributes:
        actor: ``staff:<username>``, ``api:<token name>`` or ``anonymous`` (failed logins).
        action: What happened, e.g. ``login``, ``login_failed``, ``view_ticket``,
            ``reveal_phone``, ``resolve``, ``user_update``.
        target: What it happened to (a ticket number, a username, an inbox id), if anything.
        detail: Free text; personal data is masked before it is written.
        ip: The client's address.
    """

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime(), nullable=False, default=utcnow, index=True)
    actor = Column(String(160), nullable=False)
    action = Column(String(64), nullable=False)
    target = Column(String(255), nullable=True)
    detail = Column(Text, nullable=True)
    ip = Column(String(64), nullable=True)

    # Login rate limiting counts recent ``login_failed`` rows: (action, at) finds them.
    __table_args__ = (Index("ix_audit_log_action_at", "action", "at"),)
