"""Errors of reviewer actions that the web and API turn into their own responses."""

from consultant.errors import ConsultantError


class StaleVersion(ConsultantError):
    """The draft was edited since the reviewer loaded it; they must reload before acting."""


class ClaimedByOther(ConsultantError):
    """Another reviewer has claimed the draft."""


class PermissionDenied(ConsultantError):
    """The signed-in user's role does not allow the action."""
