"""reports: calls.rolled_up, per-call rollup members and the 15-minute call rollup

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

import records.rollup_models  # noqa: F401,E402  (their tables are part of the metadata)


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rolled_up', sa.Boolean(), server_default='0', nullable=False))
    # every existing call is "not rolled up" until `hotline db rollup --rebuild`; reports stay exact meanwhile
    op.create_index('ix_calls_not_rolled_up', 'calls', ['entered_at'], unique=False,
                    postgresql_where=sa.text('rolled_up = false'), sqlite_where=sa.text('rolled_up = 0'))
    op.create_table('call_rollup_members',
    sa.Column('call_id', sa.String(length=64), nullable=False),
    sa.Column('caller', sa.String(length=64), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('bucket', sa.DateTime(timezone=True), nullable=False),
    sa.Column('queue', sa.String(length=64), nullable=False),
    sa.Column('agent', sa.String(length=64), nullable=False),
    sa.Column('did', sa.String(length=64), nullable=False),
    sa.Column('sl_s', sa.Float(), nullable=False),
    sa.Column('short_s', sa.Float(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('abandoned', sa.Integer(), nullable=False),
    sa.Column('short_abandoned', sa.Integer(), nullable=False),
    sa.Column('within_sl', sa.Integer(), nullable=False),
    sa.Column('wait_s', sa.Float(), nullable=False),
    sa.Column('handle_s', sa.Float(), nullable=False),
    sa.Column('transferred', sa.Integer(), nullable=False),
    sa.Column('is_repeat', sa.Integer(), nullable=False),
    sa.Column('csat', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('call_id')
    )
    op.create_index('ix_call_rollup_members_bucket', 'call_rollup_members', ['bucket'], unique=False)
    op.create_index('ix_call_rollup_members_caller_entered_at', 'call_rollup_members', ['caller', 'entered_at'],
                    unique=False)
    op.create_table('call_rollup_15m',
    sa.Column('dim', sa.String(length=8), nullable=False),
    sa.Column('bucket', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dim_key', sa.String(length=64), nullable=False),
    sa.Column('queue', sa.String(length=64), nullable=False),
    sa.Column('sl_s', sa.Float(), nullable=False),
    sa.Column('short_s', sa.Float(), nullable=False),
    sa.Column('offered', sa.Integer(), nullable=False),
    sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('abandoned', sa.Integer(), nullable=False),
    sa.Column('short_abandoned', sa.Integer(), nullable=False),
    sa.Column('within_sl', sa.Integer(), nullable=False),
    sa.Column('wait_answered_s', sa.Float(), nullable=False),
    sa.Column('handle_s', sa.Float(), nullable=False),
    sa.Column('max_wait_s', sa.Float(), nullable=False),
    sa.Column('transferred', sa.Integer(), nullable=False),
    sa.Column('repeats', sa.Integer(), nullable=False),
    sa.Column('csat_sum', sa.Integer(), nullable=False),
    sa.Column('csat_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('dim', 'bucket', 'dim_key', 'queue', 'sl_s', 'short_s')
    )


def downgrade():
    op.drop_table('call_rollup_15m')
    op.drop_index('ix_call_rollup_members_caller_entered_at', table_name='call_rollup_members')
    op.drop_index('ix_call_rollup_members_bucket', table_name='call_rollup_members')
    op.drop_table('call_rollup_members')
    op.drop_index('ix_calls_not_rolled_up', table_name='calls')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('rolled_up')
