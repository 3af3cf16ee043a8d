"""The LDAP directory's outbox: the updates to deliver, and which kiosk delivers them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=80), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kiosk_id", sa.String(length=60), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("problem", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_updates")),
    )
    with op.batch_alter_table("directory_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_updates_identifier"), ["identifier"], unique=False)
    op.create_table(
        "directory_worker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("problem", sa.String(length=2000), nullable=True),
        sa.Column("problem_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_worker")),
    )
    worker = sa.table("directory_worker", sa.column("id", sa.Integer), sa.column("failures", sa.Integer))
    op.bulk_insert(worker, [{"id": 1, "failures": 0}])  # the one row the kiosks lock to deliver


def downgrade() -> None:
    op.drop_table("directory_worker")
    with op.batch_alter_table("directory_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_updates_identifier"))
    op.drop_table("directory_updates")
