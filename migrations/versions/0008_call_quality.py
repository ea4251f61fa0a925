"""quality: call_quality (each recorded call's analysis and automatic score), quality_evaluations

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('call_quality',
    sa.Column('call_id', sa.String(length=64), nullable=False),
    sa.Column('queue', sa.String(length=64), nullable=True),
    sa.Column('agent_id', sa.String(length=64), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('analysed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('caller_talk_s', sa.Float(), nullable=False),
    sa.Column('agent_talk_s', sa.Float(), nullable=False),
    sa.Column('agent_talk_ratio', sa.Float(), nullable=True),
    sa.Column('silence_s', sa.Float(), nullable=False),
    sa.Column('longest_silence_s', sa.Float(), nullable=False),
    sa.Column('long_silences', sa.Integer(), nullable=False),
    sa.Column('talk_over_s', sa.Float(), nullable=False),
    sa.Column('hold_s', sa.Float(), nullable=True),
    sa.Column('first_agent_word_s', sa.Float(), nullable=True),
    sa.Column('last_speaker', sa.String(length=8), nullable=True),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=True),
    sa.Column('transcript_status', sa.String(length=64), nullable=False),
    sa.Column('transcript', sa.JSON(), nullable=False),
    sa.Column('phrases', sa.JSON(), nullable=False),
    sa.Column('auto_score', sa.Float(), nullable=True),
    sa.Column('auto_passed', sa.Boolean(), nullable=True),
    sa.Column('auto_results', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('call_id')
    )
    with op.batch_alter_table('call_quality', schema=None) as batch_op:
        batch_op.create_index('ix_call_quality_ended', ['ended_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_quality_agent_id'), ['agent_id'], unique=False)

    op.create_table('quality_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=64), nullable=False),
    sa.Column('evaluator', sa.String(length=80), nullable=False),
    sa.Column('agent_id', sa.String(length=64), nullable=True),
    sa.Column('queue', sa.String(length=64), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('agent_comment', sa.Text(), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('submitted', 'acknowledged', 'disputed')", name='ck_quality_evaluations_status'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('call_id', 'evaluator', name='uq_quality_evaluations_call_evaluator')
    )
    with op.batch_alter_table('quality_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_evaluations_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quality_evaluations_agent_id'), ['agent_id'], unique=False)


def downgrade():
    op.drop_table('quality_evaluations')
    op.drop_table('call_quality')
