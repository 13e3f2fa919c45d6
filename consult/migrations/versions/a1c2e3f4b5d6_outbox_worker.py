"""outbox worker: claims with a lease, a next attempt time, a failed state

Revision ID: a1c2e3f4b5d6
Revises: 2cd866b4246d
Create Date: 2026-11-27 09:00:00

"""
from alembic import op
import sqlalchemy as sa
import consult.extensions

# revision identifiers, used by Alembic.
revision = "a1c2e3f4b5d6"
down_revision = "2cd866b4246d"
branch_labels = None
depends_on = None

NEW_STATUSES = "status IN ('queued', 'sending', 'sent', 'failed')"
OLD_STATUSES = "status IN ('queued', 'sent')"


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_attempt_at", consult.extensions.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("claim_expires_at", consult.extensions.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("failed_at", consult.extensions.UTCDateTime(timezone=True), nullable=True)
        )
    # Every message already waiting is due now.
    op.execute("UPDATE outbox_messages SET next_attempt_at = created_at")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.alter_column(
            "next_attempt_at",
            existing_type=consult.extensions.UTCDateTime(timezone=True),
            nullable=False,
        )
        batch_op.drop_constraint(batch_op.f("ck_outbox_messages_status_known"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_outbox_messages_status_known"), NEW_STATUSES)
        batch_op.create_index("ix_outbox_messages_due", ["status", "next_attempt_at"], unique=False)


def downgrade():
    # Messages the old code cannot represent: a claimed one goes back to the queue, a failed
    # one too (the old code retried everything).
    op.execute("UPDATE outbox_messages SET status = 'queued' WHERE status IN ('sending', 'failed')")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_due")
        batch_op.drop_constraint(batch_op.f("ck_outbox_messages_status_known"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_outbox_messages_status_known"), OLD_STATUSES)
        batch_op.drop_column("failed_at")
        batch_op.drop_column("claim_expires_at")
        batch_op.drop_column("claim_token")
        batch_op.drop_column("next_attempt_at")
