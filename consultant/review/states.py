"""The draft state machine: every allowed transition, in one place.

pending_review -> approved -> sending -> sent | failed; pending_review -> rejected.
A temporary delivery failure moves sending back to approved for the next attempt,
and a failed draft may be approved again by a reviewer.  A failed draft becomes
sent when the server turns out to have accepted an attempt whose outcome the
recovery sweep had marked unknown.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from consultant.errors import InvalidTransition
from consultant.storage.base import utcnow
from consultant.storage.models import Draft, DraftEvent, DraftState

S = DraftState
ALLOWED: dict[DraftState, frozenset[DraftState]] = {
    S.PENDING_REVIEW: frozenset({S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.SENDING}),
    S.SENDING: frozenset({S.SENT, S.FAILED, S.APPROVED}),
    S.FAILED: frozenset({S.APPROVED, S.SENT}),
    S.SENT: frozenset(),
    S.REJECTED: frozenset(),
}


def transition(
    session: Session,
    draft: Draft,
    to_state: DraftState,
    actor: str,
    note: str | None = None,
    **values: object,
) -> None:
    """Move *draft* to *to_state*, recording who did it, with a guard against races.

    The UPDATE names the state the caller read, so of two workers or reviewers acting
    on the same draft only one succeeds; the other gets InvalidTransition.
    """
    from_state = draft.state
    if to_state not in ALLOWED[from_state]:
        raise InvalidTransition(
            f"draft {draft.id} is {from_state.value}; it cannot become {to_state.value}"
        )
    result = session.execute(
        update(Draft)
        .where(Draft.id == draft.id, Draft.state == from_state)
        .values(state=to_state, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InvalidTransition(f"draft {draft.id} changed state while this request ran; reload it")
    session.add(DraftEvent(draft_id=draft.id, from_state=from_state.value,
                           to_state=to_state.value, actor=actor, note=note))
    session.flush()
    session.refresh(draft)
