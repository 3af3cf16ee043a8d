"""Short codes at rest as argon2id: room for the longest hash the settings allow

A code is stored as argon2id of its HMAC under the installation's key
(``$argon2id$v=19$m=…,t=…,p=…$salt$hash``): 97 characters at the default parameters, up to
101 at the largest ``[accounts] argon2_*`` values, past the 100 of the salted SHA-256 it
replaces. Codes already stored (``salt$sha256``) keep verifying until they expire.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.alter_column("code_hash", existing_type=sa.String(length=100), type_=sa.String(length=200),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.alter_column("code_hash", existing_type=sa.String(length=200), type_=sa.String(length=100),
                              existing_nullable=False)
