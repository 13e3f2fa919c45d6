"""the content: revisions, autosaves, sharing cards and her profiles elsewhere

content_revisions: every save of an article or a bio (and each autosave, marked), with the
edited fields as JSON text, so she can compare two and restore one.
articles.social_card: the sharing picture drawn at save time when the article has no cover.
profiles.same_as: her profiles on other sites, one address per line (schema.org sameAs).

SQLite adds and drops the columns in place (ALTER TABLE), as the earlier revisions do: a
batch rebuild of a table others point at would break their foreign keys.

Revision ID: i9e0a1b2c3d4
Revises: h8d9e0a1b2c3
Create Date: 2026-12-02 00:20:00

"""

from alembic import op
import sqlalchemy as sa

from consult.extensions import UTCDateTime

# revision identifiers, used by Alembic.
revision = "i9e0a1b2c3d4"
down_revision = "h8d9e0a1b2c3"
branch_labels = None
depends_on = None


def _sqlite():
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    op.create_table(
        "content_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("autosave", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('article', 'profile')", name=op.f("ck_content_revisions_kind_known")
        ),
        sa.CheckConstraint(
            "(article_id IS NOT NULL) <> (profile_id IS NOT NULL)",
            name=op.f("ck_content_revisions_one_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_content_revisions_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_content_revisions_profile_id_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_revisions")),
    )
    op.create_index(
        "ix_content_revisions_article", "content_revisions", ["article_id", "created_at"]
    )
    op.create_index(
        "ix_content_revisions_profile", "content_revisions", ["profile_id", "created_at"]
    )
    if _sqlite():
        op.execute("ALTER TABLE articles ADD COLUMN social_card VARCHAR(80)")
        op.execute("ALTER TABLE profiles ADD COLUMN same_as TEXT DEFAULT '' NOT NULL")
    else:
        op.add_column("articles", sa.Column("social_card", sa.String(80), nullable=True))
        op.add_column(
            "profiles", sa.Column("same_as", sa.Text(), nullable=False, server_default="")
        )


def downgrade():
    if _sqlite():
        op.execute("ALTER TABLE profiles DROP COLUMN same_as")
        op.execute("ALTER TABLE articles DROP COLUMN social_card")
    else:
        op.drop_column("profiles", "same_as")
        op.drop_column("articles", "social_card")
    op.drop_index("ix_content_revisions_profile", table_name="content_revisions")
    op.drop_index("ix_content_revisions_article", table_name="content_revisions")
    op.drop_table("content_revisions")
