"""Each shared change gets its own identifier (uid), which exchange documents name it by

Revision ID: 7c1e2f9a3b5d
Revises: 4b4ff6d559e1
Create Date: 2026-12-03 20:00:00.000000
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op


revision: str = '7c1e2f9a3b5d'
down_revision: str | None = '4b4ff6d559e1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('shared_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uid', sa.String(length=36), nullable=True))
    # Every change already shared draws its own identifier, then the column becomes required.
    bind = op.get_bind()
    for (change_id,) in bind.execute(sa.text("SELECT id FROM shared_change")).all():
        bind.execute(sa.text("UPDATE shared_change SET uid = :uid WHERE id = :id"),
                     {"uid": str(uuid.uuid4()), "id": change_id})
    with op.batch_alter_table('shared_change', schema=None) as batch_op:
        batch_op.alter_column('uid', existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_shared_change_uid'), ['uid'])


def downgrade() -> None:
    with op.batch_alter_table('shared_change', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_shared_change_uid'), type_='unique')
        batch_op.drop_column('uid')
