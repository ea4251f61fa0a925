"""workforce: agent_shifts (shifts with breaks, for coverage and adherence)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agent_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.String(length=64), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('breaks', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agent_id', 'start_at', name='uq_agent_shifts_agent_start')
    )
    with op.batch_alter_table('agent_shifts', schema=None) as batch_op:
        batch_op.create_index('ix_agent_shifts_start', ['start_at'], unique=False)


def downgrade():
    op.drop_table('agent_shifts')
