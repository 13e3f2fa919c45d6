"""payment anomalies and hold limits per address

A payment event whose amount, currency or checkout is not the one its booking was offered
is recorded as an anomaly (the money is refunded, the booking never confirmed, the owner
sees it). A booking keeps a keyed hash of the address its hold was asked from, so one
address cannot hold the whole calendar.

SQLite adds and drops the booking column in place: rebuilding bookings would trip the
foreign keys pointing at it.

Revision ID: d4f5a6b7c8e9
Revises: c3e4a5b6d7f8
Create Date: 2026-12-01 21:40:00

"""
from alembic import op
import sqlalchemy as sa

from consult.extensions import UTCDateTime

# revision identifiers, used by Alembic.
revision = "d4f5a6b7c8e9"
down_revision = "c3e4a5b6d7f8"
branch_labels = None
depends_on = None

ADDRESS_INDEX = "ix_bookings_client_address_hash"


def upgrade():
    op.add_column("bookings", sa.Column("client_address_hash", sa.String(length=64), nullable=True))
    op.create_index(ADDRESS_INDEX, "bookings", ["client_address_hash"], unique=False)
    op.create_table(
        "payment_anomalies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("mismatch", sa.String(length=40), nullable=False),
        sa.Column("expected_cents", sa.Integer(), nullable=False),
        sa.Column("received_cents", sa.Integer(), nullable=False),
        sa.Column("expected_currency", sa.String(length=3), nullable=False),
        sa.Column("received_currency", sa.String(length=3), nullable=False),
        sa.Column("expected_checkout", sa.String(length=255), nullable=True),
        sa.Column("received_checkout", sa.String(length=255), nullable=True),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_payment_anomalies_booking_id_bookings"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["ledger_entries.id"],
            name=op.f("fk_payment_anomalies_payment_id_ledger_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_anomalies")),
    )
    op.create_index(
        op.f("ix_payment_anomalies_booking_id"), "payment_anomalies", ["booking_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_payment_anomalies_booking_id"), table_name="payment_anomalies")
    op.drop_table("payment_anomalies")
    op.drop_index(ADDRESS_INDEX, table_name="bookings")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE bookings DROP COLUMN client_address_hash")
    else:
        op.drop_column("bookings", "client_address_hash")
