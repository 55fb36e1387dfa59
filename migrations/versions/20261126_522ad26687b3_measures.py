"""Measures, their links to the challenges, and data points per site and period.

Revision ID: 522ad26687b3
Revises: 9a26bb1acadb
Create Date: 2026-11-26 13:09:49.258217
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated column types may name it)
from alembic import op

import imroc.models.base

revision: str = '522ad26687b3'
down_revision: str | None = '9a26bb1acadb'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('measure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('unit', sa.String(length=30), nullable=False),
    sa.Column('numerator_label', sa.String(length=120), nullable=False),
    sa.Column('denominator_label', sa.String(length=120), nullable=False),
    sa.Column('scale', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('target', sa.Float(), nullable=True),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('chart', sa.String(length=5), nullable=False),
    sa.Column('baseline_points', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', imroc.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', imroc.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_measure_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure'))
    )
    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_site_id'), ['site_id'], unique=False)

    op.create_table('data_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('numerator', sa.Float(), nullable=True),
    sa.Column('denominator', sa.Float(), nullable=True),
    sa.Column('annotation', sa.Text(), nullable=False),
    sa.Column('rebase', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', imroc.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], name=op.f('fk_data_point_measure_id_measure')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_data_point_site_id_site')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_data_point_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_point')),
    sa.UniqueConstraint('measure_id', 'site_id', 'period_start', name=op.f('uq_data_point_measure_id_site_id_period_start'))
    )
    with op.batch_alter_table('data_point', schema=None) as batch_op:
        batch_op.create_index('ix_data_point_site_measure', ['site_id', 'measure_id'], unique=False)

    op.create_table('measure_challenge',
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('challenge', sa.Integer(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], name=op.f('fk_measure_challenge_measure_id_measure')),
    sa.PrimaryKeyConstraint('measure_id', 'challenge', name=op.f('pk_measure_challenge'))
    )


def downgrade() -> None:
    op.drop_table('measure_challenge')
    with op.batch_alter_table('data_point', schema=None) as batch_op:
        batch_op.drop_index('ix_data_point_site_measure')

    op.drop_table('data_point')
    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_site_id'))

    op.drop_table('measure')
