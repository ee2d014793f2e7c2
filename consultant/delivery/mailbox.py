"""IMAP follow-ups after a reply was sent: \\Answered on the question, a copy in Sent.

Both are idempotent: the flag is set with STORE, which changes nothing the second
time, and the Sent copy is appended only when no message with the reply's
Message-ID is in that folder yet.
"""

from __future__ import annotations

import logging

from consultant.config import Settings
from consultant.intake.imap import imap_connection
from consultant.storage import session_scope
from consultant.storage.models import Draft, DraftState, InboundMessage, OutboxEntry

log = logging.getLogger(__name__)


def flag_answered(message_row_id: int, settings: Settings) -> bool:
    """Set \\Answered on the question in the mailbox; return False if it is not there."""
    with session_scope() as session:
        message = session.get_one(InboundMessage, message_row_id)
        if message.answered or message.uid is None:
            return False
        uid, uidvalidity = message.uid, message.uidvalidity

    with imap_connection(settings) as client:
        status = client.select_folder(settings.imap_folder)
        if int(status[b"UIDVALIDITY"]) != uidvalidity:
            # The UIDs were renumbered; the next poll records the new UID of this message.
            log.warning("UIDVALIDITY changed; \\Answered not set on message_row=%d", message_row_id)
            return False
        client.add_flags([uid], [b"\\Answered"], silent=True)

    with session_scope() as session:
        session.get_one(InboundMessage, message_row_id).answered = True
    log.info("flagged \\Answered message_row=%d uid=%d", message_row_id, uid)
    return True


def append_sent(draft_id: int, settings: Settings) -> bool:
    """APPEND the sent reply to CASECONSULTANT_SENT_FOLDER; return False when nothing was added."""
    folder = settings.sent_folder
    if not folder:
        return False
    with session_scope() as session:
        draft = session.get_one(Draft, draft_id)
        entry = session.query(OutboxEntry).filter_by(draft_id=draft_id).one_or_none()
        if draft.state is not DraftState.SENT or entry is None or entry.sent_folder_appended:
            return False
        raw, message_id, sent_at = entry.raw, entry.reply_message_id, draft.sent_at

    with imap_connection(settings) as client:
        if not client.folder_exists(folder):
            client.create_folder(folder)
            log.info("created the Sent folder for draft=%d", draft_id)
        client.select_folder(folder, readonly=True)
        # A worker that died after APPEND and before the commit below left a copy there.
        present = client.search(["HEADER", "Message-ID", message_id])
        if not present:
            client.append(folder, raw, flags=[b"\\Seen"], msg_time=sent_at)

    with session_scope() as session:
        session.query(OutboxEntry).filter_by(draft_id=draft_id).one().sent_folder_appended = True
    log.info("copied draft=%d to the Sent folder size=%d already_there=%s", draft_id, len(raw),
             bool(present))
    return not present
