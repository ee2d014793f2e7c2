"""Reviewer actions of user accounts: claims, saved versions, approval and rejection.

The web queue and ``caseconsultant review`` both act through these functions, as the
signed-in user or the account that ``--reviewer`` names.  A draft claimed by one
reviewer cannot be saved, approved, rejected or redrafted by another, but an admin may
reassign it first.  Saving, approving or rejecting an unclaimed draft claims it.  Every
action that is not a state change is written to ``case_events`` for the audit trail.
"""

from __future__ import annotations

import logging

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from consultant.errors import ConsultantError, InvalidTransition, NotFound
from consultant.review import services
from consultant.review.errors import ClaimedByOther, PermissionDenied
from consultant.storage import after_commit
from consultant.storage.base import utcnow
from consultant.storage.models import CaseEvent, Draft, DraftState, Role, User

log = logging.getLogger(__name__)


def record_event(session: Session, draft: Draft, action: str, actor: str,
                 note: str | None = None) -> None:
    """Add a non-state action on *draft* to its case's audit trail."""
    session.add(CaseEvent(case_id=draft.case_id, draft_id=draft.id,
                          inbound_message_id=draft.inbound_message_id,
                          action=action, actor=actor, note=note))


# A failed send may be edited and approved again. Rejected, approved and sent drafts are final.
WORKABLE_STATES = frozenset({DraftState.PENDING_REVIEW, DraftState.FAILED})
# The states of an approval that went through: the reply waits, goes out or went out.
_APPROVED_STATES = frozenset({DraftState.APPROVED, DraftState.SENDING, DraftState.SENT})


def _claimed_by_other(draft_id: int, assignee: str | None, user: User) -> ClaimedByOther:
    """Return the error for *user* acting on a draft that *assignee* has claimed.

    An admin can take the draft with Assign, so the message points an admin there and
    a reviewer to the assignee or an admin.
    """
    if user.role is Role.ADMIN:
        advice = "as an admin, assign it to yourself with Assign on the draft page"
    else:
        advice = "ask them or an admin to release it"
    return ClaimedByOther(f"draft {draft_id} is claimed by {assignee}; {advice}", assignee)


def _require_workable(draft: Draft) -> None:
    if draft.state not in WORKABLE_STATES:
        raise InvalidTransition(f"draft {draft.id} is {draft.state.value}; only drafts "
                                "pending review or failed to send can be changed")


def claim(session: Session, draft_id: int, user: User) -> Draft:
    """Make *user* the draft's assignee unless another reviewer has claimed it."""
    draft = services.get_draft(session, draft_id)
    _require_workable(draft)
    if draft.assignee == user.username:
        return draft
    result = session.execute(
        update(Draft)
        .where(Draft.id == draft_id, or_(Draft.assignee.is_(None),
                                         Draft.assignee == user.username))
        .values(assignee=user.username, claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.refresh(draft)
        raise _claimed_by_other(draft_id, draft.assignee, user)
    record_event(session, draft, "claimed", user.username)
    session.flush()
    session.refresh(draft)
    # Logged at commit, because an action that claims first and then fails, such as an
    # unconfirmed approval of a superseded draft, rolls the claim back.
    user_id = user.id
    after_commit(session, lambda: log.info("claimed draft=%d user_id=%d", draft_id, user_id))
    return draft


def release(session: Session, draft_id: int, user: User) -> Draft:
    """Drop the claim on a draft; only its assignee or an admin may."""
    draft = services.get_draft(session, draft_id)
    if draft.assignee is None:
        return draft
    if draft.assignee != user.username and user.role is not Role.ADMIN:
        raise ClaimedByOther(f"draft {draft_id} is claimed by {draft.assignee}; "
                             "only they or an admin can release it", draft.assignee)
    record_event(session, draft, "released", user.username, f"was {draft.assignee}")
    draft.assignee = None
    draft.claimed_at = None
    session.flush()
    return draft


def assign(session: Session, draft_id: int, user: User, assignee: str) -> Draft:
    """Give a draft to *assignee*.

    Admins may assign any draft to anyone. Reviewers may assign only themselves, and only
    a draft that nobody else has claimed, so assigning is no way around a claim.
    """
    if assignee != user.username and user.role is not Role.ADMIN:
        raise PermissionDenied("only an admin can assign a draft to another reviewer")
    target = session.scalar(select(User).where(User.username == assignee))
    if target is None or target.disabled:
        raise NotFound(f"no active user named {assignee!r}")
    draft = services.get_draft(session, draft_id)
    _require_workable(draft)
    if draft.assignee not in (None, user.username) and user.role is not Role.ADMIN:
        raise PermissionDenied(f"draft {draft_id} is claimed by {draft.assignee}, and only "
                               "an admin can take it from them")
    record_event(session, draft, "assigned", user.username,
                 f"to {assignee}" + (f", was {draft.assignee}" if draft.assignee else ""))
    draft.assignee = assignee
    draft.claimed_at = utcnow()
    session.flush()
    return draft


def _take(session: Session, draft_id: int, user: User) -> Draft:
    """Return the draft locked for this request, claiming it if it is unclaimed."""
    draft = services.get_draft(session, draft_id, for_update=True)
    _require_workable(draft)
    if draft.assignee is None:
        return claim(session, draft_id, user)
    if draft.assignee != user.username:
        raise _claimed_by_other(draft_id, draft.assignee, user)
    return draft


def take_over(session: Session, draft_id: int, user: User) -> Draft:
    """Assign a draft claimed by another reviewer to the admin *user*, as Assign does.

    A draft that is unclaimed or already the user's is returned unchanged. Reviewers
    get PermissionDenied, because only an admin may reassign a claimed draft.
    """
    draft = services.get_draft(session, draft_id, for_update=True)
    if draft.assignee in (None, user.username):
        return draft
    return assign(session, draft_id, user, user.username)


def check_not_claimed_by_other(draft: Draft, user: User) -> None:
    """Raise ClaimedByOther when someone other than *user* has claimed *draft*.

    Actions that change a draft without claiming it, such as a redraft, call this.
    """
    if draft.assignee is not None and draft.assignee != user.username:
        raise _claimed_by_other(draft.id, draft.assignee, user)


def save(session: Session, draft_id: int, user: User, body_text: str,
         expected_version: int) -> Draft:
    """Store an edited body as the draft's next version without approving it."""
    draft = _take(session, draft_id, user)
    services.check_version(draft, expected_version)
    body_text = body_text.replace("\r\n", "\n")
    if not body_text.strip():
        raise ConsultantError("the edited body is empty")
    if body_text == draft.body_text:
        return draft
    services.record_version(session, draft, body_text, user.username)
    record_event(session, draft, "saved", user.username, f"version {draft.version}")
    session.flush()
    log.info("saved draft=%d version=%d user_id=%d", draft.id, draft.version, user.id)
    return draft


def approve(session: Session, draft_id: int, user: User, body_text: str | None,
            expected_version: int | None, *, even_if_superseded: bool = False) -> Draft:
    """Approve the version the user saw, with their edit if any, and enqueue the send.

    A draft that a newer question of its case supersedes raises Superseded unless
    *even_if_superseded* is true. The command line passes no *expected_version*, because
    it approves the version stored now.

    A request that repeats the user's own approval, with the same text and the version
    it was made on, returns the draft unchanged. So a second click on Approve, or a
    browser sending the form again, gets the result of the first one.
    """
    repeated = _repeated_approval(session, draft_id, user, body_text, expected_version)
    if repeated is not None:
        return repeated
    _take(session, draft_id, user)
    if body_text is not None:
        body_text = body_text.replace("\r\n", "\n")
    return services.approve(session, draft_id, user.username, body_text,
                            expected_version=expected_version,
                            even_if_superseded=even_if_superseded)


def _repeated_approval(session: Session, draft_id: int, user: User, body_text: str | None,
                       expected_version: int | None) -> Draft | None:
    """Return the draft when *user* already approved *body_text*, written on that version."""
    if body_text is None or expected_version is None:
        return None
    draft = services.get_draft(session, draft_id)
    if draft.state not in _APPROVED_STATES or draft.reviewer != user.username:
        return None
    # Approving an edit stores it as the next version and approves that one.
    if draft.approved_version not in (expected_version, expected_version + 1):
        return None
    if body_text.replace("\r\n", "\n") != draft.body_text:
        return None
    log.info("repeated approval of draft=%d by user_id=%d changed nothing", draft.id, user.id)
    return draft


def reject(session: Session, draft_id: int, user: User, reason: str,
           expected_version: int | None = None) -> Draft:
    """Reject the draft with a reason; nothing is sent."""
    draft = _take(session, draft_id, user)
    if draft.state is not DraftState.PENDING_REVIEW:
        raise InvalidTransition(f"draft {draft_id} is {draft.state.value}; only drafts "
                                "pending review can be rejected")
    services.check_version(draft, expected_version)
    return services.reject(session, draft_id, user.username, reason)


def redraft(session: Session, draft_id: int, user: User, *,
            force: bool = False) -> services.RedraftResult:
    """Render a pending draft again as *user*, without claiming it.

    A draft claimed by another reviewer raises ClaimedByOther, as a save would, because
    the new text would replace the version its assignee is reviewing.
    """
    draft = services.get_draft(session, draft_id, for_update=True)
    check_not_claimed_by_other(draft, user)
    return services.redraft(session, draft_id, user.username, force=force)
