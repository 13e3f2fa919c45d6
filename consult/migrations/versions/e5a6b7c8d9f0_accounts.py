"""accounts: single-use emailed links to sign in or to reset the password

Only a SHA-256 of each link's token is stored; a link expires and works once.

Revision ID: e5a6b7c8d9f0
Revises: d4f5a6b7c8e9
Create Date: 2026-12-01 21:40:00

"""

from alembic import op
import sqlalchemy as sa
import consult.extensions

# revision identifiers, used by Alembic.
revision = "e5a6b7c8d9f0"
down_revision = "d4f5a6b7c8e9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "emailed_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", consult.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", consult.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", consult.extensions.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('sign_in', 'password_reset')",
            name=op.f("ck_emailed_links_purpose_known"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_emailed_links_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emailed_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_emailed_links_token_hash")),
    )
    with op.batch_alter_table("emailed_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emailed_links_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("emailed_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emailed_links_user_id"))
    op.drop_table("emailed_links")
