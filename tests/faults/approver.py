"""A reviewer in a separate process: approve every pending draft until COUNT are approved.

Run as ``python -m tests.faults.approver COUNT`` with the service's environment, so
the sends it enqueues go to the same broker and queue as the worker's.
"""

from __future__ import annotations

import sys
import time

from consultant.errors import InvalidTransition
from consultant.review import services
from consultant.storage import session_scope
from consultant.storage.models import DraftState

ANSWER = "Reviewed answer from the coding team."
TIMEOUT = 600.0


def approve_pending() -> int:
    """Approve the drafts pending review now; return how many this call approved."""
    approved = 0
    with session_scope() as session:
        ids = [draft.id for draft in services.list_drafts(session, [DraftState.PENDING_REVIEW])]
    for draft_id in ids:
        try:
            with session_scope() as session:
                draft = services.get_draft(session, draft_id)
                services.approve(session, draft_id, "fault-reviewer",
                                 services.fill_answer(draft, ANSWER))
            approved += 1
        except InvalidTransition:
            continue
    return approved


def main(count: int) -> int:
    total = 0
    deadline = time.monotonic() + TIMEOUT
    while total < count and time.monotonic() < deadline:
        total += approve_pending()
        time.sleep(0.5)
    print(f"approved {total}", flush=True)
    return 0 if total >= count else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
