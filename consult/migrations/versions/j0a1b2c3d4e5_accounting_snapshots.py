"""the accountant and her calendar apps: the CalDAV calendars she is asked to choose from

Credit notes keep the session as it stood when refunded in their own description (no
column needed); the calendar settings keep the calendars a sync found when she has to
choose one.

Revision ID: j0a1b2c3d4e5
Revises: i9e0a1b2c3d4
Create Date: 2026-12-02 00:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "j0a1b2c3d4e5"
down_revision = "i9e0a1b2c3d4"
branch_labels = None
depends_on = None


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    if _sqlite():
        # In place: a batch rebuild of the table would break the foreign keys to it.
        op.execute("ALTER TABLE calendar_settings ADD COLUMN caldav_choices JSON")
    else:
        op.add_column("calendar_settings", sa.Column("caldav_choices", sa.JSON(), nullable=True))


def downgrade():
    if _sqlite():
        op.execute("ALTER TABLE calendar_settings DROP COLUMN caldav_choices")
        return
    op.drop_column("calendar_settings", "caldav_choices")
