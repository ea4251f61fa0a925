"""wrap-up effects, recordings, webhooks, CSAT, call facts, agent state log; report indexes on calls

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa

# migrations/env.py imports records.models only; importing the wrap-up models here puts their
# tables into the same metadata, so autogenerate and drift checks see them.
import records.wrapup_models  # noqa: F401,E402


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('wrapup_effects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('call_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'done', 'failed', 'unknown', 'skipped')",
                       name='ck_wrapup_effects_status'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('wrapup_effects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wrapup_effects_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wrapup_effects_updated_at'), ['updated_at'], unique=False)

    op.create_table('recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('call_id')
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recordings_customer_id'), ['customer_id'], unique=False)

    op.create_table('webhook_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("format IN ('json', 'dingtalk', 'wecom', 'slack')", name='ck_webhook_targets_format'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('csat_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=64), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name='ck_csat_responses_score'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('call_id')
    )
    op.create_table('call_facts',
    sa.Column('call_id', sa.String(length=64), nullable=False),
    sa.Column('hold_s', sa.Float(), nullable=False),
    sa.Column('wrap_s', sa.Float(), nullable=False),
    sa.Column('transferred', sa.Boolean(), nullable=False),
    sa.Column('follow_up', sa.Boolean(), nullable=False),
    sa.Column('follow_up_subject', sa.String(length=300), nullable=True),
    sa.Column('follow_up_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['follow_up_by'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('call_id')
    )
    op.create_table('agent_state_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agent_state_log', schema=None) as batch_op:
        batch_op.create_index('ix_agent_state_log_agent_at', ['agent_id', 'at'], unique=False)
        batch_op.create_index('ix_agent_state_log_at', ['at'], unique=False)

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index('ix_calls_entered_at', ['entered_at'], unique=False)
        batch_op.create_index('ix_calls_caller_entered_at', ['caller', 'entered_at'], unique=False)


def downgrade():
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_caller_entered_at')
        batch_op.drop_index('ix_calls_entered_at')
    with op.batch_alter_table('agent_state_log', schema=None) as batch_op:
        batch_op.drop_index('ix_agent_state_log_at')
        batch_op.drop_index('ix_agent_state_log_agent_at')
    op.drop_table('agent_state_log')
    op.drop_table('call_facts')
    op.drop_table('csat_responses')
    op.drop_table('webhook_targets')
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recordings_customer_id'))
    op.drop_table('recordings')
    with op.batch_alter_table('wrapup_effects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wrapup_effects_updated_at'))
        batch_op.drop_index(batch_op.f('ix_wrapup_effects_call_id'))
    op.drop_table('wrapup_effects')
