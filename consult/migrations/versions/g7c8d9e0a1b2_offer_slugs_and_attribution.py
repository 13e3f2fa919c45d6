"""offer slugs per language, where each booking came from, and a declined card

offers.slug_en: the offer's English address name (the French one stays in offers.slug);
existing offers start with the same name in both languages.
bookings.came_from: the site's own page the prospect came from (a path, no tracker).
bookings.payment_declined_at: when the gateway last declined her card while the hold lasted.

SQLite adds and drops the columns in place, as the earlier revisions do.

Revision ID: g7c8d9e0a1b2
Revises: f6b7c8d9e0a1
Create Date: 2026-12-01 23:50:00

"""

import sqlalchemy as sa
from alembic import op

from consult.extensions import UTCDateTime

# revision identifiers, used by Alembic.
revision = "g7c8d9e0a1b2"
down_revision = "f6b7c8d9e0a1"
branch_labels = None
depends_on = None


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    if _sqlite():
        op.execute("ALTER TABLE offers ADD COLUMN slug_en VARCHAR(80) DEFAULT '' NOT NULL")
        op.execute("ALTER TABLE bookings ADD COLUMN came_from VARCHAR(300) DEFAULT '' NOT NULL")
        op.execute("ALTER TABLE bookings ADD COLUMN payment_declined_at DATETIME")
    else:
        op.add_column(
            "offers", sa.Column("slug_en", sa.String(80), nullable=False, server_default="")
        )
        op.add_column(
            "bookings", sa.Column("came_from", sa.String(300), nullable=False, server_default="")
        )
        op.add_column("bookings", sa.Column("payment_declined_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE offers SET slug_en = slug")
    op.create_index("ix_offers_slug_en", "offers", ["slug_en"], unique=True)


def downgrade():
    op.drop_index("ix_offers_slug_en", table_name="offers")
    if _sqlite():
        op.execute("ALTER TABLE bookings DROP COLUMN payment_declined_at")
        op.execute("ALTER TABLE bookings DROP COLUMN came_from")
        op.execute("ALTER TABLE offers DROP COLUMN slug_en")
        return
    op.drop_column("bookings", "payment_declined_at")
    op.drop_column("bookings", "came_from")
    op.drop_column("offers", "slug_en")
