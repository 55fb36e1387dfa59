"""Single sign-on: a person's provider subject, and named or SSO-opened sessions.

Revision ID: a668e86f3b35
Revises: a45741e8b280
Create Date: 2026-12-03 13:05:47.046347
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated column types may name it)

import imroc.models.base
from alembic import op


revision: str = 'a668e86f3b35'
down_revision: str | None = 'a45741e8b280'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('via_sso', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_issuer', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_user_account_oidc_issuer_oidc_subject'), ['oidc_issuer', 'oidc_subject'])



def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_account_oidc_issuer_oidc_subject'), type_='unique')
        batch_op.drop_column('oidc_subject')
        batch_op.drop_column('oidc_issuer')

    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_column('via_sso')
        batch_op.drop_column('name')

