"""Errors of reviewer actions that the web and API turn into their own responses."""

from consultant.errors import ConsultantError


class StaleVersion(ConsultantError):
    """The draft was edited since the reviewer loaded it; they must reload before acting."""


class ClaimedByOther(ConsultantError):
    """Another reviewer has claimed the draft. ``assignee`` is their username."""

    def __init__(self, message: str, assignee: str | None = None) -> None:
        super().__init__(message)
        self.assignee = assignee


class PermissionDenied(ConsultantError):
    """The signed-in user's role does not allow the action."""


class Superseded(ConsultantError):
    """A newer question in the draft's case has its own draft, and approval was not confirmed.

    ``newer_ids`` are the ids of those newer drafts, oldest first. Each front end adds
    to the message how to confirm the approval there.
    """

    def __init__(self, message: str, newer_ids: list[int]) -> None:
        super().__init__(message)
        self.newer_ids = newer_ids


class AnswerMissing(ConsultantError):
    """The text to approve still contains the answer placeholder.

    Each front end adds to the message how to write the answer there.
    """
