"""refunds owed: a payment row remembers a refund decided but not yet made at the gateway

Cancellations and late or second payments decide a refund inside their transaction; the
gateway is called after the commit (payments.refunds.settle_owed), which records the credit
note and clears these columns, or keeps the refund owed with the gateway's error.

SQLite adds and drops the columns in place (ALTER TABLE ... ADD / DROP COLUMN): rebuilding
ledger_entries would trip the foreign keys of the credit notes and tax rows pointing at it.

Revision ID: b2d3f4a5c6e7
Revises: a1c2e3f4b5d6
Create Date: 2026-12-01 20:40:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "b2d3f4a5c6e7"
down_revision = "a1c2e3f4b5d6"
branch_labels = None
depends_on = None

TABLE = "ledger_entries"
CHECK_NAME = "ck_ledger_entries_refund_owed_positive"
CHECK = "refund_owed_cents IS NULL OR (kind = 'payment' AND refund_owed_cents > 0)"
INDEX = "ix_ledger_entries_refund_owed_cents"
COLUMNS = (
    ("refund_owed_cents", sa.Integer()),
    ("refund_owed_reason", sa.String(length=255)),
    ("refund_owed_by_id", sa.Integer()),
    ("refund_error", sa.String(length=500)),
)


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    if _sqlite():
        op.execute(
            f"ALTER TABLE {TABLE} ADD COLUMN refund_owed_cents INTEGER "
            f"CONSTRAINT {CHECK_NAME} CHECK ({CHECK})"
        )
        op.execute(f"ALTER TABLE {TABLE} ADD COLUMN refund_owed_reason VARCHAR(255)")
        op.execute(f"ALTER TABLE {TABLE} ADD COLUMN refund_owed_by_id INTEGER")
        op.execute(f"ALTER TABLE {TABLE} ADD COLUMN refund_error VARCHAR(500)")
    else:
        for name, type_ in COLUMNS:
            op.add_column(TABLE, sa.Column(name, type_, nullable=True))
        op.create_check_constraint(CHECK_NAME, TABLE, CHECK)
    op.create_index(INDEX, TABLE, ["refund_owed_cents"], unique=False)


def downgrade():
    op.drop_index(INDEX, table_name=TABLE)
    if _sqlite():
        for name, _type in reversed(COLUMNS):
            op.execute(f"ALTER TABLE {TABLE} DROP COLUMN {name}")
    else:
        op.drop_constraint(CHECK_NAME, TABLE, type_="check")
        for name, _type in reversed(COLUMNS):
            op.drop_column(TABLE, name)
