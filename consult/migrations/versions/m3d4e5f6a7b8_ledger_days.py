"""ledger day sums: the totals read them, built from the entries when first read

Revision ID: m3d4e5f6a7b8
Revises: l2c3d4e5f6a7
Create Date: 2026-12-02 03:00:00

"""

import sqlalchemy as sa
from alembic import op

import consult.extensions

# revision identifiers, used by Alembic.
revision = "m3d4e5f6a7b8"
down_revision = "l2c3d4e5f6a7"
branch_labels = None
depends_on = None

UTC = consult.extensions.UTCDateTime(timezone=True)
KEY = ("zone", "day", "kind", "method")


def _key_columns():
    return [
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
    ]


def upgrade():
    op.create_table(
        "ledger_days",
        *_key_columns(),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("subtotal_cents", sa.BigInteger(), nullable=False),
        sa.Column("taxable_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("fee_cents", sa.BigInteger(), nullable=True),
        sa.Column("net_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_ledger_days")),
    )
    op.create_table(
        "ledger_day_taxes",
        *_key_columns(),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, "code", name=op.f("pk_ledger_day_taxes")),
    )
    op.create_table(
        "ledger_rollups",
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("built_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("zone", name=op.f("pk_ledger_rollups")),
    )


def downgrade():
    op.drop_table("ledger_rollups")
    op.drop_table("ledger_day_taxes")
    op.drop_table("ledger_days")
