"""installation secret: the key of the digests of typed text (throttle keys)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:39:34
"""

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(table, [{"id": 1, "secret": secrets.token_hex(32),
                            "created_at": now.replace(tzinfo=None) if op.get_bind().dialect.name == "sqlite" else now}])
    # Throttle rows were keyed by a plain digest before: they cannot be matched any more.
    op.execute("DELETE FROM throttles")


def downgrade() -> None:
    op.drop_table("installation")
