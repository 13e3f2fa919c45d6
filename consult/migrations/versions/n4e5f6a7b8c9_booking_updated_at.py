"""bookings.updated_at: when a session last moved, so her feed's DTSTAMP follows a move

Revision ID: n4e5f6a7b8c9
Revises: m3d4e5f6a7b8
Create Date: 2026-12-02 04:20:00

"""

import sqlalchemy as sa
from alembic import op

import consult.extensions

# revision identifiers, used by Alembic.
revision = "n4e5f6a7b8c9"
down_revision = "m3d4e5f6a7b8"
branch_labels = None
depends_on = None

UTC = consult.extensions.UTCDateTime(timezone=True)


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    if _sqlite():
        # In place: a batch rebuild of the table would break the foreign keys to it.
        op.execute("ALTER TABLE bookings ADD COLUMN updated_at DATETIME")
    else:
        op.add_column("bookings", sa.Column("updated_at", UTC, nullable=True))


def downgrade():
    if _sqlite():
        op.execute("ALTER TABLE bookings DROP COLUMN updated_at")
        return
    op.drop_column("bookings", "updated_at")
