"""meeting modes: how each offer's sessions happen (video, phone, in person)

A video offer has a fixed link, or each booking gets its own room (bookings.meeting_url),
kept when the session moves. Existing offers become video offers without a fixed link.

SQLite adds and drops the columns in place (ALTER TABLE ... ADD / DROP COLUMN): rebuilding
offers or bookings would trip the foreign keys pointing at them.

Revision ID: f6b7c8d9e0a1
Revises: e5a6b7c8d9f0
Create Date: 2026-12-01 22:00:00

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "f6b7c8d9e0a1"
down_revision = "e5a6b7c8d9f0"
branch_labels = None
depends_on = None

CHECK_NAME = "ck_offers_meeting_mode_known"
CHECK = "meeting_mode IN ('video', 'phone', 'in_person')"
OFFER_COLUMNS = (
    ("meeting_mode", 10, "video"),
    ("meeting_url", 500, ""),
    ("meeting_phone", 40, ""),
    ("meeting_address", 300, ""),
)


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    if _sqlite():
        op.execute(
            "ALTER TABLE offers ADD COLUMN meeting_mode VARCHAR(10) DEFAULT 'video' NOT NULL "
            f"CONSTRAINT {CHECK_NAME} CHECK ({CHECK})"
        )
        for name, length, default in OFFER_COLUMNS[1:]:
            op.execute(
                f"ALTER TABLE offers ADD COLUMN {name} VARCHAR({length}) "
                f"DEFAULT '{default}' NOT NULL"
            )
        op.execute("ALTER TABLE bookings ADD COLUMN meeting_url VARCHAR(500) DEFAULT '' NOT NULL")
        return
    for name, length, default in OFFER_COLUMNS:
        op.add_column(
            "offers",
            sa.Column(name, sa.String(length=length), nullable=False, server_default=default),
        )
    op.create_check_constraint(CHECK_NAME, "offers", CHECK)
    op.add_column(
        "bookings",
        sa.Column("meeting_url", sa.String(length=500), nullable=False, server_default=""),
    )


def downgrade():
    if _sqlite():
        op.execute("ALTER TABLE bookings DROP COLUMN meeting_url")
        for name, _length, _default in reversed(OFFER_COLUMNS):
            op.execute(f"ALTER TABLE offers DROP COLUMN {name}")
        return
    op.drop_column("bookings", "meeting_url")
    op.drop_constraint(CHECK_NAME, "offers", type_="check")
    for name, _length, _default in reversed(OFFER_COLUMNS):
        op.drop_column("offers", name)
