"""Discussion: threads in a learning set or across the programme, and their posts.

Revision ID: 47e2263a3523
Revises: 94eb0d3060d2
Create Date: 2026-12-03 13:56:24.415044
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (generated column types may name it)

import imroc.models.base
from alembic import op


revision: str = '47e2263a3523'
down_revision: str | None = '006e2b283acf'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('thread',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learning_set_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('challenge', sa.Integer(), nullable=True),
    sa.Column('cycle_id', sa.Integer(), nullable=True),
    sa.Column('created_at', imroc.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_post_at', imroc.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_thread_author_id_user_account')),
    sa.ForeignKeyConstraint(['cycle_id'], ['cycle.id'], name=op.f('fk_thread_cycle_id_cycle')),
    sa.ForeignKeyConstraint(['learning_set_id'], ['learning_set.id'], name=op.f('fk_thread_learning_set_id_learning_set')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_thread'))
    )
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.create_index('ix_thread_set_last_post', ['learning_set_id', 'last_post_at'], unique=False)

    op.create_table('post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', imroc.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('hidden_at', imroc.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hidden_by', sa.Integer(), nullable=True),
    sa.Column('hidden_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_post_author_id_user_account')),
    sa.ForeignKeyConstraint(['hidden_by'], ['user_account.id'], name=op.f('fk_post_hidden_by_user_account')),
    sa.ForeignKeyConstraint(['thread_id'], ['thread.id'], name=op.f('fk_post_thread_id_thread')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post'))
    )
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_thread_id'), ['thread_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_thread_id'))

    op.drop_table('post')
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.drop_index('ix_thread_set_last_post')

    op.drop_table('thread')
