"""A version on each person, so a stale edit of their details is refused

Revision ID: 5e71137be6a0
Revises: b0b53e47648c
Create Date: 2026-12-03 16:26:52.905014
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated column types may name it)

import imroc.models.base
from alembic import op


revision: str = '5e71137be6a0'
down_revision: str | None = 'b0b53e47648c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('version')

