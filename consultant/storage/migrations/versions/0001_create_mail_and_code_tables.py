"""create mail and code tables

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from consultant.storage.base import UTCDateTime

revision: str = '0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=16), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('token', name=op.f('uq_cases_token'))
    )
    op.create_table('code_releases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=16), nullable=False),
    sa.Column('edition', sa.String(length=64), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('source_name', sa.String(length=255), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('imported_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_releases'))
    )
    with op.batch_alter_table('code_releases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_code_releases_system'), ['system'], unique=False)

    op.create_table('mailboxes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=512), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=True),
    sa.Column('last_uid', sa.BigInteger(), nullable=False),
    sa.Column('lease_owner', sa.String(length=128), nullable=True),
    sa.Column('lease_until', UTCDateTime(), nullable=True),
    sa.Column('last_polled_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailboxes')),
    sa.UniqueConstraint('key', name=op.f('uq_mailboxes_key'))
    )
    op.create_table('codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('short_description', sa.Text(), nullable=True),
    sa.Column('billable', sa.Boolean(), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['release_id'], ['code_releases.id'], name=op.f('fk_codes_release_id_code_releases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_codes'))
    )
    with op.batch_alter_table('codes', schema=None) as batch_op:
        batch_op.create_index('ix_codes_system_code', ['system', 'code'], unique=False)

    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailbox_id', sa.Integer(), nullable=True),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=True),
    sa.Column('uid', sa.BigInteger(), nullable=True),
    sa.Column('message_id', sa.String(length=998), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('received_at', UTCDateTime(), nullable=False),
    sa.Column('state', sa.Enum('received', 'drafted', 'quarantined', 'ignored', name='message_state', native_enum=False, length=32), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('sender', sa.String(length=998), nullable=True),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_inbound_messages_case_id_cases')),
    sa.ForeignKeyConstraint(['mailbox_id'], ['mailboxes.id'], name=op.f('fk_inbound_messages_mailbox_id_mailboxes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('mailbox_id', 'uidvalidity', 'uid', name=op.f('uq_inbound_messages_mailbox_id_uidvalidity_uid')),
    sa.UniqueConstraint('message_id', name=op.f('uq_inbound_messages_message_id'))
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_messages_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_messages_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_messages_state'), ['state'], unique=False)

    op.create_table('drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('inbound_message_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('pending_review', 'approved', 'sending', 'sent', 'failed', 'rejected', name='draft_state', native_enum=False, length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('to_address', sa.String(length=998), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('in_reply_to', sa.String(length=998), nullable=True),
    sa.Column('references', sa.Text(), nullable=True),
    sa.Column('reply_message_id', sa.String(length=998), nullable=False),
    sa.Column('codes', sa.JSON(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('reviewer', sa.String(length=128), nullable=True),
    sa.Column('reject_reason', sa.Text(), nullable=True),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_drafts_case_id_cases')),
    sa.ForeignKeyConstraint(['inbound_message_id'], ['inbound_messages.id'], name=op.f('fk_drafts_inbound_message_id_inbound_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drafts')),
    sa.UniqueConstraint('inbound_message_id', name=op.f('uq_drafts_inbound_message_id')),
    sa.UniqueConstraint('reply_message_id', name=op.f('uq_drafts_reply_message_id'))
    )
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drafts_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_drafts_state'), ['state'], unique=False)

    op.create_table('draft_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_draft_events_draft_id_drafts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft_events'))
    )
    with op.batch_alter_table('draft_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draft_events_draft_id'), ['draft_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('draft_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draft_events_draft_id'))

    op.drop_table('draft_events')
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drafts_state'))
        batch_op.drop_index(batch_op.f('ix_drafts_case_id'))

    op.drop_table('drafts')
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_messages_state'))
        batch_op.drop_index(batch_op.f('ix_inbound_messages_sha256'))
        batch_op.drop_index(batch_op.f('ix_inbound_messages_case_id'))

    op.drop_table('inbound_messages')
    with op.batch_alter_table('codes', schema=None) as batch_op:
        batch_op.drop_index('ix_codes_system_code')

    op.drop_table('codes')
    op.drop_table('mailboxes')
    with op.batch_alter_table('code_releases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_code_releases_system'))

    op.drop_table('code_releases')
    op.drop_table('cases')
