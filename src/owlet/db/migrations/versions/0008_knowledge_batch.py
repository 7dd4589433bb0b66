"""knowledge_batch: files being copied into a knowledge base, until the links are committed

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 19:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('knowledge_batch',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('knowledge_id', sa.String(length=64), nullable=False),
    sa.Column('file_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['knowledge_id'], ['knowledge.id'], name=op.f('fk_knowledge_batch_knowledge_id_knowledge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_batch'))
    )
    with op.batch_alter_table('knowledge_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_batch_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_batch_knowledge_id'), ['knowledge_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('knowledge_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_batch_knowledge_id'))
        batch_op.drop_index(batch_op.f('ix_knowledge_batch_created_at'))

    op.drop_table('knowledge_batch')
