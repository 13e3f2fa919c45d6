"""The ledger: every payment and refund as its own row; refunds are negative, never edits."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm as so

from ..extensions import UTCDateTime, db, utcnow

PAYMENT, REFUND = "payment", "refund"
METHODS = ("stripe", "interac", "other", "demo")


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        sa.CheckConstraint(sa.column("kind").in_((PAYMENT, REFUND)), name="kind_known"),
        sa.CheckConstraint(sa.column("method").in_(METHODS), name="method_known"),
        sa.CheckConstraint(
            "(kind = 'payment' AND total_cents > 0) OR (kind = 'refund' AND total_cents < 0)",
            name="sign_matches_kind",
        ),
        sa.CheckConstraint("subtotal_cents + tax_cents = total_cents", name="total_adds_up"),
        sa.CheckConstraint(
            "(kind = 'refund') = (refund_of_id IS NOT NULL)", name="refund_names_its_payment"
        ),
        sa.CheckConstraint(
            "refund_owed_cents IS NULL OR (kind = 'payment' AND refund_owed_cents > 0)",
            name="refund_owed_positive",
        ),
        # A gateway payment enters the ledger once, whichever events announce it.
        sa.Index(
            "uq_ledger_entries_payment_intent",
            "stripe_payment_intent",
            unique=True,
            postgresql_where=sa.text("kind = 'payment'"),
            sqlite_where=sa.text("kind = 'payment'"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))
    #: Receipt number (payments) or credit-note number (refunds), gap-free per kind.
    number: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    booking_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("bookings.id"), index=True)
    booking = so.relationship("Booking", backref=so.backref("ledger_entries", lazy="select"))
    #: For a refund: the payment it gives money back from.
    refund_of_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("ledger_entries.id"), index=True
    )
    refund_of = so.relationship("LedgerEntry", remote_side=[id], backref="refunds")
    #: When the money moved (UTC); the accountant sees it in the consultant's zone.
    occurred_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    method: so.Mapped[str] = so.mapped_column(sa.String(10))
    currency: so.Mapped[str] = so.mapped_column(sa.String(3), default="CAD")
    #: Signed cents: positive for payments, negative for refunds.
    subtotal_cents: so.Mapped[int]
    tax_cents: so.Mapped[int]
    total_cents: so.Mapped[int]
    #: Gateway fee (positive cost) and what reached the bank, when the gateway tells us.
    fee_cents: so.Mapped[int | None]
    net_cents: so.Mapped[int | None]
    description: so.Mapped[str] = so.mapped_column(sa.String(255))
    client_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    client_email: so.Mapped[str] = so.mapped_column(sa.String(254))
    stripe_checkout_session: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    stripe_payment_intent: so.Mapped[str | None] = so.mapped_column(sa.String(255), index=True)
    stripe_charge: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    stripe_refund: so.Mapped[str | None] = so.mapped_column(sa.String(255), unique=True)
    stripe_balance_transaction: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    stripe_payout: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    #: Interac reference, invoice number, or whatever the owner typed for a manual payment.
    external_reference: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    #: Why the money went back (refunds): the owner's words, or the automatic cause.
    reason: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    created_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    #: A refund decided (a cancellation, a late or second payment) but not yet made: the
    #: gateway is called after the commit, then the credit note is recorded and these cleared.
    refund_owed_cents: so.Mapped[int | None] = so.mapped_column(index=True)
    refund_owed_reason: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    #: Who decided it (a user id, kept without a foreign key: the credit note's created_by).
    refund_owed_by_id: so.Mapped[int | None]
    #: Why the gateway refused the owed refund last time (kept until it goes through).
    refund_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))

    taxes: so.Mapped[list["LedgerTax"]] = so.relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="LedgerTax.id"
    )

    def __repr__(self):
        return f"<LedgerEntry {self.number} {self.total_cents}>"


class LedgerTax(db.Model):
    """One tax on one ledger row (GST, QST, ...), signed like its row."""

    __tablename__ = "ledger_taxes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    entry_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("ledger_entries.id"), index=True)
    entry: so.Mapped[LedgerEntry] = so.relationship(back_populates="taxes")
    code: so.Mapped[str] = so.mapped_column(sa.String(10))
    name: so.Mapped[str] = so.mapped_column(sa.String(40))
    #: Decimal rate as text ("0.09975"), exactly as configured.
    rate: so.Mapped[str] = so.mapped_column(sa.String(12))
    registration: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    amount_cents: so.Mapped[int]


class Counter(db.Model):
    """Gap-free sequences (receipt and credit-note numbers), bumped inside the caller's
    transaction so a rollback gives the number back."""

    __tablename__ = "counters"

    name: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
    value: so.Mapped[int] = so.mapped_column(default=0)


class WebhookEvent(db.Model):
    """Every gateway event id, stored once: a repeated delivery is acknowledged and ignored."""

    __tablename__ = "webhook_events"

    id: so.Mapped[str] = so.mapped_column(sa.String(255), primary_key=True)
    type: so.Mapped[str] = so.mapped_column(sa.String(80))
    received_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    payload: so.Mapped[dict] = so.mapped_column(sa.JSON)


class PaymentAnomaly(db.Model):
    """A payment event that did not match what its booking was offered (amount, currency or
    checkout): the money is recorded and refunded in full, the booking is never confirmed,
    and the owner sees it."""

    __tablename__ = "payment_anomalies"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    booking_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("bookings.id"), index=True)
    booking = so.relationship("Booking", backref=so.backref("payment_anomalies", lazy="select"))
    #: The ledger row of the money received (None when the event claimed no money).
    payment_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("ledger_entries.id"))
    payment: so.Mapped[LedgerEntry | None] = so.relationship()
    event_id: so.Mapped[str] = so.mapped_column(sa.String(255))
    #: What differed: "amount", "currency", "checkout", comma-separated.
    mismatch: so.Mapped[str] = so.mapped_column(sa.String(40))
    expected_cents: so.Mapped[int]
    received_cents: so.Mapped[int]
    expected_currency: so.Mapped[str] = so.mapped_column(sa.String(3))
    received_currency: so.Mapped[str] = so.mapped_column(sa.String(3))
    expected_checkout: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    received_checkout: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    occurred_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
