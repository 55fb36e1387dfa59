"""A rating may say "don't know": an answer without a level.

The level becomes nullable, with a dont_know flag; a check constraint allows exactly one of
the two. Existing ratings all have a level, so they get dont_know false.

Revision ID: e51ac931aedf
Revises: 94eb0d3060d2
Create Date: 2026-12-03 12:59:42.682128
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated column types may name it)

import imroc.models.base
from alembic import op


revision: str = 'e51ac931aedf'
down_revision: str | None = '94eb0d3060d2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


CHECK = "(dont_know AND level IS NULL) OR (NOT dont_know AND level IS NOT NULL)"


def upgrade() -> None:
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dont_know', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.alter_column('level', existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_check_constraint(op.f('ck_rating_level_or_dont_know'), CHECK)


def downgrade() -> None:
    # A "don't know" has no level to keep: those answers cannot exist without the column.
    op.execute(sa.text("DELETE FROM rating WHERE dont_know"))
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_rating_level_or_dont_know'), type_='check')
        batch_op.alter_column('level', existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column('dont_know')
