"""one time zone: the availability rules lose their own zone; TIME_ZONE is the only source

The desk could set a zone on the rules row that disagreed with the TIME_ZONE setting, which
ledger days, tax periods, article scheduling, receipts and emails read. Her hours are now
written in the setting's zone (CONSULT_TIME_ZONE) and nowhere else.

Revision ID: c3e4a5b6d7f8
Revises: b2d3f4a5c6e7
Create Date: 2026-12-01 21:10:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "c3e4a5b6d7f8"
down_revision = "b2d3f4a5c6e7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("availability_rules", schema=None) as batch_op:
        batch_op.drop_column("time_zone")


def downgrade():
    # The row gets back the default zone; the setting may say otherwise, as it could before.
    with op.batch_alter_table("availability_rules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "time_zone",
                sa.String(length=64),
                nullable=False,
                server_default="America/Montreal",
            )
        )
    with op.batch_alter_table("availability_rules", schema=None) as batch_op:
        batch_op.alter_column("time_zone", server_default=None)
