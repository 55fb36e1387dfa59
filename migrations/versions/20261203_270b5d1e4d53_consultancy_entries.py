"""Consultancy days become dated entries; each site's hand-kept count of days used becomes one entry

Revision ID: 270b5d1e4d53
Revises: e51ac931aedf
Create Date: 2026-12-03 13:03:48.971967
"""

import math
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated column types may name it)

import imroc.models.base
from alembic import op


revision: str = '270b5d1e4d53'
down_revision: str | None = 'e51ac931aedf'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The purpose of the entry that keeps a count made before dated entries.
CARRIED_PURPOSE = "Days recorded before dated entries"

site = sa.table("site", sa.column("id", sa.Integer), sa.column("joined_on", sa.Date),
                sa.column("created_at", imroc.models.base.UTCDateTime(timezone=True)),
                sa.column("consultancy_days_used", sa.Integer))
entry = sa.table("consultancy_entry", sa.column("site_id", sa.Integer),
                 sa.column("delivered_on", sa.Date), sa.column("days", sa.Numeric(5, 1)),
                 sa.column("purpose", sa.String), sa.column("delivered_by_name", sa.String),
                 sa.column("version", sa.Integer),
                 sa.column("created_at", imroc.models.base.UTCDateTime(timezone=True)),
                 sa.column("updated_at", imroc.models.base.UTCDateTime(timezone=True)))


def upgrade() -> None:
    op.create_table('consultancy_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('delivered_on', sa.Date(), nullable=False),
    sa.Column('days', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('delivered_by_id', sa.Integer(), nullable=True),
    sa.Column('delivered_by_name', sa.String(length=200), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', imroc.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', imroc.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('days > 0', name=op.f('ck_consultancy_entry_days_positive')),
    sa.ForeignKeyConstraint(['delivered_by_id'], ['user_account.id'], name=op.f('fk_consultancy_entry_delivered_by_id_user_account')),
    sa.ForeignKeyConstraint(['recorded_by'], ['user_account.id'], name=op.f('fk_consultancy_entry_recorded_by_user_account')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_consultancy_entry_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultancy_entry'))
    )
    with op.batch_alter_table('consultancy_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultancy_entry_site_id'), ['site_id'], unique=False)

    # Each count kept by hand becomes one entry, dated when the site joined (or was added).
    conn = op.get_bind()
    now = datetime.now(UTC)
    rows = conn.execute(sa.select(site.c.id, site.c.joined_on, site.c.created_at,
                                  site.c.consultancy_days_used)
                        .where(site.c.consultancy_days_used > 0)).all()
    if rows:
        conn.execute(entry.insert(), [{
            "site_id": r.id, "delivered_on": r.joined_on or r.created_at.date(),
            "days": r.consultancy_days_used, "purpose": CARRIED_PURPOSE,
            "delivered_by_name": "", "version": 1, "created_at": now, "updated_at": now}
            for r in rows])

    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('consultancy_days_used')


def downgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consultancy_days_used', sa.INTEGER(), server_default='0',
                                      nullable=False))

    # The sum of each site's entries goes back into its count, rounded up to whole days.
    conn = op.get_bind()
    sums = conn.execute(sa.select(entry.c.site_id, sa.func.sum(entry.c.days))
                        .group_by(entry.c.site_id)).all()
    for site_id, days in sums:
        conn.execute(site.update().where(site.c.id == site_id)
                     .values(consultancy_days_used=math.ceil(days)))
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.alter_column('consultancy_days_used', server_default=None)

    with op.batch_alter_table('consultancy_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultancy_entry_site_id'))

    op.drop_table('consultancy_entry')
