"""Legal guardians: their accounts (SIECLE's PERSONNE_ID, civility, postal address, the
export's e-mail) and their links to their children

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 20:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("personne_id", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("civility", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("postal_address", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("export_email", sa.String(length=320), nullable=True))
        batch_op.create_index(batch_op.f("ix_accounts_personne_id"), ["personne_id"], unique=True)
    op.create_table(
        "guardianships",
        sa.Column("guardian_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("resp_legal", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["guardian_id"], ["accounts.id"], name=op.f("fk_guardianships_guardian_id_accounts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["pupil_id"], ["accounts.id"], name=op.f("fk_guardianships_pupil_id_accounts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("guardian_id", "pupil_id", name=op.f("pk_guardianships")),
    )
    with op.batch_alter_table("guardianships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guardianships_pupil_id"), ["pupil_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("guardianships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guardianships_pupil_id"))
    op.drop_table("guardianships")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_personne_id"))
        batch_op.drop_column("export_email")
        batch_op.drop_column("postal_address")
        batch_op.drop_column("civility")
        batch_op.drop_column("personne_id")
