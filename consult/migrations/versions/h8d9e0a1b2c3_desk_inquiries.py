"""the desk: inquiry threads and statuses

An inquiry moves new -> answered -> quoted -> booked or declined, and keeps its thread: her
replies, sent through the outbox, and what the organiser answered. The status check on
speaking_inquiries gains "quoted" and "booked".

SQLite cannot change a CHECK constraint in place, so speaking_inquiries is rebuilt, before
inquiry_messages exists: no foreign key points at it then, so the copy trips none.

Revision ID: h8d9e0a1b2c3
Revises: g7c8d9e0a1b2
Create Date: 2026-12-02 00:20:00

"""

import sqlalchemy as sa
from alembic import op

import consult.extensions

# revision identifiers, used by Alembic.
revision = "h8d9e0a1b2c3"
down_revision = "g7c8d9e0a1b2"
branch_labels = None
depends_on = None

STATUS_CHECK = "ck_speaking_inquiries_status_known"
OLD_STATUSES = "status IN ('new', 'answered', 'declined')"
NEW_STATUSES = "status IN ('new', 'answered', 'quoted', 'booked', 'declined')"


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def _inquiries_table(status_check):
    """speaking_inquiries as the models describe it, with `status_check` as its status rule."""
    return sa.Table(
        "speaking_inquiries",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("audience_size", sa.Integer(), nullable=False),
        sa.Column("budget_range", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", consult.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", consult.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "budget_range IN ('unknown', 'under-1000', '1000-2500', '2500-5000', 'over-5000')",
            name="ck_speaking_inquiries_budget_known",
        ),
        sa.CheckConstraint("online OR city <> ''", name="ck_speaking_inquiries_city_or_online"),
        sa.CheckConstraint(status_check, name=STATUS_CHECK),
        sa.CheckConstraint("audience_size > 0", name="ck_speaking_inquiries_audience_positive"),
        sa.PrimaryKeyConstraint("id", name="pk_speaking_inquiries"),
        sa.Index("ix_speaking_inquiries_created_at", "created_at"),
        sa.Index("ix_speaking_inquiries_status", "status"),
    )


def _set_status_check(status_check):
    if _sqlite():
        with op.batch_alter_table(
            "speaking_inquiries", copy_from=_inquiries_table(status_check), recreate="always"
        ):
            pass
        return
    # op.f(): the name is given whole; the metadata's naming convention must not prefix it.
    op.drop_constraint(op.f(STATUS_CHECK), "speaking_inquiries", type_="check")
    op.create_check_constraint(op.f(STATUS_CHECK), "speaking_inquiries", status_check)


def upgrade():
    _set_status_check(NEW_STATUSES)
    op.create_table(
        "inquiry_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.Column("status_after", sa.String(length=10), nullable=False),
        sa.Column("created_at", consult.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "sender IN ('owner', 'organiser')", name=op.f("ck_inquiry_messages_sender_known")
        ),
        sa.CheckConstraint("body <> ''", name=op.f("ck_inquiry_messages_body_not_empty")),
        sa.ForeignKeyConstraint(
            ["inquiry_id"],
            ["speaking_inquiries.id"],
            name=op.f("fk_inquiry_messages_inquiry_id_speaking_inquiries"),
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_inquiry_messages_outbox_message_id_outbox_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_inquiry_messages_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiry_messages")),
    )
    op.create_index(
        op.f("ix_inquiry_messages_inquiry_id"), "inquiry_messages", ["inquiry_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_inquiry_messages_inquiry_id"), table_name="inquiry_messages")
    op.drop_table("inquiry_messages")
    # Statuses the old rule does not know go back to the nearest one it does.
    op.execute(
        "UPDATE speaking_inquiries SET status = 'answered' WHERE status IN ('quoted', 'booked')"
    )
    _set_status_check(OLD_STATUSES)
