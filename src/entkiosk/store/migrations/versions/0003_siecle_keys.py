"""SIECLE keys: each pupil's INE and ELEVE_ID, the leavers, the school's UAJ and newest export

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 15:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ine", sa.String(length=11), nullable=True))
        batch_op.add_column(sa.Column("eleve_id", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_accounts_ine"), ["ine"], unique=True)
        batch_op.create_index(batch_op.f("ix_accounts_eleve_id"), ["eleve_id"], unique=True)
    with op.batch_alter_table("establishments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uai", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("siecle_exported_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("establishments", schema=None) as batch_op:
        batch_op.drop_column("siecle_exported_on")
        batch_op.drop_column("uai")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_eleve_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_ine"))
        batch_op.drop_column("left_at")
        batch_op.drop_column("eleve_id")
        batch_op.drop_column("ine")
