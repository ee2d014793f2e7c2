"""add reviewer accounts, claims and draft versions

Revision ID: 0301
Revises: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from consultant.storage.base import UTCDateTime

revision: str = '0301'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failures_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failures_client'), ['client'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failures_username'), ['username'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.Enum('reviewer', 'admin', name='user_role', native_enum=False, length=32), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('password_changed_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('web_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', UTCDateTime(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.Column('search', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_web_sessions_token_sha256'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.Column('inbound_message_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases')),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_case_events_draft_id_drafts')),
    sa.ForeignKeyConstraint(['inbound_message_id'], ['inbound_messages.id'], name=op.f('fk_case_events_inbound_message_id_inbound_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_events_draft_id'), ['draft_id'], unique=False)

    op.create_table('draft_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=128), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_draft_versions_draft_id_drafts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft_versions')),
    sa.UniqueConstraint('draft_id', 'version', name=op.f('uq_draft_versions_draft_id_version'))
    )
    with op.batch_alter_table('draft_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draft_versions_draft_id'), ['draft_id'], unique=False)

    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('approved_version', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_drafts_assignee'), ['assignee'], unique=False)

    # Every existing draft gets its current body as its first saved version, so the
    # version history starts complete; the body's author is unknown and recorded as "system".
    op.execute(
        "INSERT INTO draft_versions (draft_id, version, body_text, author, created_at) "
        "SELECT id, version, body_text, 'system', updated_at FROM drafts"
    )



def downgrade() -> None:
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drafts_assignee'))
        batch_op.drop_column('approved_version')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('assignee')

    with op.batch_alter_table('draft_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draft_versions_draft_id'))

    op.drop_table('draft_versions')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_events_draft_id'))
        batch_op.drop_index(batch_op.f('ix_case_events_case_id'))

    op.drop_table('case_events')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_user_id'))

    op.drop_table('web_sessions')
    op.drop_table('users')
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_username'))
        batch_op.drop_index(batch_op.f('ix_login_failures_client'))
        batch_op.drop_index(batch_op.f('ix_login_failures_at'))

    op.drop_table('login_failures')
