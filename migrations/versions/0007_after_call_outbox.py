"""after_call_outbox: the after-call work of each call record, written with the record (a transactional
outbox), so a sweeper can enqueue again what Redis lost

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('after_call_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('call_id')
    )
    with op.batch_alter_table('after_call_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_after_call_outbox_done_at'), ['done_at'], unique=False)


def downgrade():
    with op.batch_alter_table('after_call_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_after_call_outbox_done_at'))
    op.drop_table('after_call_outbox')
