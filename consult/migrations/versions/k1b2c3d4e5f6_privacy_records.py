"""privacy records: consents, a person's requests, incidents, the owner's privacy settings

Revision ID: k1b2c3d4e5f6
Revises: j0a1b2c3d4e5
Create Date: 2026-12-02 00:10:00

"""

import sqlalchemy as sa
from alembic import op

import consult.extensions

# revision identifiers, used by Alembic.
revision = "k1b2c3d4e5f6"
down_revision = "j0a1b2c3d4e5"
branch_labels = None
depends_on = None

UTC = consult.extensions.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "consent_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("given_at", UTC, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("form", sa.String(length=60), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=True),
        sa.Column("withdrawn_at", UTC, nullable=True),
        sa.CheckConstraint(
            "kind IN ('booking_terms', 'inquiry_contact', 'commercial')",
            name=op.f("ck_consent_records_kind_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
    )
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_records_email"), ["email"], unique=False)

    op.create_table(
        "privacy_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_name", sa.String(length=120), nullable=False),
        sa.Column("officer_title", sa.String(length=120), nullable=False),
        sa.Column("officer_email", sa.String(length=254), nullable=False),
        sa.Column("policy_fr", sa.Text(), nullable=False),
        sa.Column("policy_en", sa.Text(), nullable=False),
        sa.Column("inquiry_retention_days", sa.Integer(), nullable=False),
        sa.Column("intake_retention_days", sa.Integer(), nullable=False),
        sa.Column("outbox_retention_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint(
            "inquiry_retention_days > 0 AND intake_retention_days > 0"
            " AND outbox_retention_days > 0",
            name=op.f("ck_privacy_settings_retention_positive"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_settings")),
    )
    op.create_table(
        "privacy_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("occurred_at", UTC, nullable=True),
        sa.Column("discovered_at", UTC, nullable=False),
        sa.Column("data_concerned", sa.Text(), nullable=False),
        sa.Column("people_count", sa.Integer(), nullable=True),
        sa.Column("risk_assessment", sa.Text(), nullable=False),
        sa.Column("serious_risk", sa.Boolean(), nullable=False),
        sa.Column("commission_notified_at", UTC, nullable=True),
        sa.Column("people_notified_at", UTC, nullable=True),
        sa.Column("notices", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint(
            "people_count IS NULL OR people_count >= 0",
            name=op.f("ck_privacy_incidents_count_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_privacy_incidents_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_incidents")),
    )
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_expires_at", UTC, nullable=True),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("verified_at", UTC, nullable=True),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_at", UTC, nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("erased_at", UTC, nullable=True),
        sa.CheckConstraint(
            "kind IN ('access', 'correct', 'move', 'delete')",
            name=op.f("ck_privacy_requests_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'open', 'done', 'refused')",
            name=op.f("ck_privacy_requests_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["users.id"], name=op.f("fk_privacy_requests_answered_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_requests")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_privacy_requests_token_hash")),
    )
    with op.batch_alter_table("privacy_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_requests_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_requests_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_requests_status"), ["status"], unique=False)


def downgrade():
    with op.batch_alter_table("privacy_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_requests_status"))
        batch_op.drop_index(batch_op.f("ix_privacy_requests_email"))
        batch_op.drop_index(batch_op.f("ix_privacy_requests_due_at"))
    op.drop_table("privacy_requests")
    op.drop_table("privacy_incidents")
    op.drop_table("privacy_settings")
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_records_email"))
    op.drop_table("consent_records")
