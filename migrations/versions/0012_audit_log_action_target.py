"""audit_log: an index on (action, target), so a wrap-up job finds its call's `call.finalized` marker
without reading the whole log (one row per call finalised, and the log only grows)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_action_target', ['action', 'target'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_action_target')
