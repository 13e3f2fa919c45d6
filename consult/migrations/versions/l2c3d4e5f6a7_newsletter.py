"""newsletter: subscribers with their consent, issues, one delivery per reader and issue

Revision ID: l2c3d4e5f6a7
Revises: k1b2c3d4e5f6
Create Date: 2026-12-02 02:47:54.092597

"""

import sqlalchemy as sa
from alembic import op

import consult.extensions

# revision identifiers, used by Alembic.
revision = "l2c3d4e5f6a7"
down_revision = "k1b2c3d4e5f6"
branch_labels = None
depends_on = None

UTC = consult.extensions.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "newsletter_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("article_fr_id", sa.Integer(), nullable=True),
        sa.Column("article_en_id", sa.Integer(), nullable=True),
        sa.Column("subject_fr", sa.String(length=200), nullable=False),
        sa.Column("subject_en", sa.String(length=200), nullable=False),
        sa.Column("body_md_fr", sa.Text(), nullable=False),
        sa.Column("body_md_en", sa.Text(), nullable=False),
        sa.Column("body_html_fr", sa.Text(), nullable=False),
        sa.Column("body_html_en", sa.Text(), nullable=False),
        sa.Column("scheduled_at", UTC, nullable=True),
        sa.Column("queued_at", UTC, nullable=True),
        sa.Column("finished_at", UTC, nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint(
            "kind IN ('article', 'written')", name=op.f("ck_newsletter_issues_kind_known")
        ),
        sa.CheckConstraint(
            "status != 'scheduled' OR scheduled_at IS NOT NULL",
            name=op.f("ck_newsletter_issues_scheduled_has_a_time"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'sending', 'sent')",
            name=op.f("ck_newsletter_issues_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["article_en_id"],
            ["articles.id"],
            name=op.f("fk_newsletter_issues_article_en_id_articles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["article_fr_id"],
            ["articles.id"],
            name=op.f("fk_newsletter_issues_article_fr_id_articles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_newsletter_issues_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_issues")),
    )
    with op.batch_alter_table("newsletter_issues", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_newsletter_issues_scheduled_at"), ["scheduled_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_newsletter_issues_status"), ["status"], unique=False)

    op.create_table(
        "newsletter_subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("lang", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("confirm_token_hash", sa.String(length=64), nullable=True),
        sa.Column("confirm_expires_at", UTC, nullable=True),
        sa.Column("last_notice_at", UTC, nullable=True),
        sa.Column("notices_today", sa.Integer(), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("consent_lang", sa.String(length=2), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=True),
        sa.Column("consent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("confirmed_at", UTC, nullable=True),
        sa.Column("unsubscribed_at", UTC, nullable=True),
        sa.Column("bounced_at", UTC, nullable=True),
        sa.Column("bounce_kind", sa.String(length=10), nullable=True),
        sa.Column("bounce_detail", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint(
            "lang IN ('fr', 'en', 'both')", name=op.f("ck_newsletter_subscribers_lang_known")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'unsubscribed', 'bounced')",
            name=op.f("ck_newsletter_subscribers_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["consent_records.id"],
            name=op.f("fk_newsletter_subscribers_consent_id_consent_records"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_subscribers")),
        sa.UniqueConstraint(
            "confirm_token_hash", name=op.f("uq_newsletter_subscribers_confirm_token_hash")
        ),
        sa.UniqueConstraint("email_key", name=op.f("uq_newsletter_subscribers_email_key")),
    )
    with op.batch_alter_table("newsletter_subscribers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_newsletter_subscribers_status"), ["status"], unique=False
        )

    op.create_table(
        "newsletter_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("langs", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claim_expires_at", UTC, nullable=True),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'claimed', 'sending', 'sent', 'failed', 'skipped')",
            name=op.f("ck_newsletter_deliveries_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["newsletter_issues.id"],
            name=op.f("fk_newsletter_deliveries_issue_id_newsletter_issues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["newsletter_subscribers.id"],
            name=op.f("fk_newsletter_deliveries_subscriber_id_newsletter_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_deliveries")),
        sa.UniqueConstraint("issue_id", "subscriber_id", name="uq_newsletter_deliveries_once"),
    )
    with op.batch_alter_table("newsletter_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_newsletter_deliveries_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_newsletter_deliveries_issue_id"), ["issue_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_newsletter_deliveries_subscriber_id"), ["subscriber_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("newsletter_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_newsletter_deliveries_subscriber_id"))
        batch_op.drop_index(batch_op.f("ix_newsletter_deliveries_issue_id"))
        batch_op.drop_index("ix_newsletter_deliveries_due")

    op.drop_table("newsletter_deliveries")
    with op.batch_alter_table("newsletter_subscribers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_newsletter_subscribers_status"))

    op.drop_table("newsletter_subscribers")
    with op.batch_alter_table("newsletter_issues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_newsletter_issues_status"))
        batch_op.drop_index(batch_op.f("ix_newsletter_issues_scheduled_at"))

    op.drop_table("newsletter_issues")
