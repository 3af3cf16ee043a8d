"""Staff roles: each staff account's role and the classes delegated to a teacher; a staff
account can be disabled; a session remembers when its staff member last typed the password

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    # Every staff account so far could do everything: it stays so, as the direction's.
    op.execute("UPDATE accounts SET role = 'direction' WHERE kind = 'staff'")
    op.create_table(
        "staff_classes",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_staff_classes_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], name=op.f("fk_staff_classes_class_id_classes"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "class_id", name=op.f("pk_staff_classes")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("confirmed_at")
    op.drop_table("staff_classes")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
        batch_op.drop_column("role")
