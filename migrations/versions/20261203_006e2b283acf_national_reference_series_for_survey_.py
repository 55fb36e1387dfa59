"""Measures carry a national reference series, and a site's values the survey's band.

The new `yearly` frequency needs no change here: `measure.frequency` is a plain string of
up to ten characters with no check constraint, on SQLite and PostgreSQL alike.

Revision ID: 006e2b283acf
Revises: 270b5d1e4d53
Create Date: 2026-12-03 13:55:00.283437
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated column types may name it)

import imroc.models.base
from alembic import op


revision: str = '006e2b283acf'
down_revision: str | None = '270b5d1e4d53'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reference_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('lower', sa.Float(), nullable=True),
    sa.Column('upper', sa.Float(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', imroc.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], name=op.f('fk_reference_point_measure_id_measure')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_reference_point_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_point')),
    sa.UniqueConstraint('measure_id', 'period_start', name=op.f('uq_reference_point_measure_id_period_start'))
    )
    with op.batch_alter_table('reference_point', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reference_point_measure_id'), ['measure_id'], unique=False)

    with op.batch_alter_table('data_point', schema=None) as batch_op:
        batch_op.add_column(sa.Column('band', sa.String(length=10), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('data_point', schema=None) as batch_op:
        batch_op.drop_column('band')

    with op.batch_alter_table('reference_point', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reference_point_measure_id'))

    op.drop_table('reference_point')
