"""Each cycle remembers the learning set its site was in when it ran (from the membership history).

Revision ID: a45741e8b280
Revises: 7bb81c5fb007
Create Date: 2026-12-03 13:00:11.185655
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated column types may name it)

import imroc.models.base
from alembic import op


revision: str = 'a45741e8b280'
down_revision: str | None = '7bb81c5fb007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cycle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('learning_set_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cycle_learning_set_id'), ['learning_set_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cycle_learning_set_id_learning_set'), 'learning_set', ['learning_set_id'], ['id'])

    # The set the site was in on the cycle's start date; a cycle older than every membership
    # goes to the first set the site joined; a site with no membership history at all, to
    # its current set. A cycle run while the site was in no set stays with none.
    op.execute("""
        UPDATE cycle SET learning_set_id = (
            SELECT m.learning_set_id FROM site_learning_set m
            WHERE m.site_id = cycle.site_id AND m.joined_on <= cycle.started_on
              AND (m.left_on IS NULL OR m.left_on > cycle.started_on)
            ORDER BY m.joined_on DESC, m.id DESC LIMIT 1)
    """)
    op.execute("""
        UPDATE cycle SET learning_set_id = (
            SELECT m.learning_set_id FROM site_learning_set m
            WHERE m.site_id = cycle.site_id ORDER BY m.joined_on, m.id LIMIT 1)
        WHERE learning_set_id IS NULL AND NOT EXISTS (
            SELECT 1 FROM site_learning_set m
            WHERE m.site_id = cycle.site_id AND m.joined_on <= cycle.started_on)
    """)
    op.execute("""
        UPDATE cycle SET learning_set_id = (
            SELECT site.learning_set_id FROM site WHERE site.id = cycle.site_id)
        WHERE learning_set_id IS NULL AND NOT EXISTS (
            SELECT 1 FROM site_learning_set m WHERE m.site_id = cycle.site_id)
    """)


def downgrade() -> None:
    with op.batch_alter_table('cycle', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cycle_learning_set_id_learning_set'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cycle_learning_set_id'))
        batch_op.drop_column('learning_set_id')

