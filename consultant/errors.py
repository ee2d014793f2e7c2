"""The project's exception hierarchy.

Every error the product raises on purpose derives from ``ConsultantError``, so the
command line can print it as one clear line instead of a traceback.
"""


class ConsultantError(Exception):
    """Base class of every error CaseConsultant raises on purpose."""


class ConfigError(ConsultantError):
    """A setting is missing or invalid."""


class MissingDatabase(ConsultantError):
    """The configured SQLite database file does not exist, and only a migration creates one."""


class InvalidTransition(ConsultantError):
    """A draft was asked to move to a state its current state does not allow."""


class NotFound(ConsultantError):
    """A case, draft or message with the given id does not exist."""


class EmptyQuestion(ConsultantError):
    """A question typed for Ask (web page, JSON API or command line) is empty or white space."""

    def __init__(self) -> None:
        super().__init__("the question is empty; type the question to answer, with the codes "
                         "it is about, for example: Is E11.4 billable?")


class TextTooLong(ConsultantError):
    """A text typed into a web form is longer than the JSON API accepts for the same field."""

    def __init__(self, field: str, length: int, maximum: int) -> None:
        super().__init__(f"the {field} has {length:,} characters, more than the maximum of "
                         f"{maximum:,}; shorten it and try again")


class ImportFileError(ConsultantError):
    """A code-set file is malformed; the message names the line and the expectation."""


class MailboxUnavailable(ConsultantError):
    """The IMAP server could not be reached or refused the login."""


class TemporaryDeliveryError(ConsultantError):
    """Sending failed in a way that may succeed later (timeouts, SMTP 4xx)."""


class PermanentDeliveryError(ConsultantError):
    """Sending failed for good (SMTP 5xx, a rejected recipient)."""


class DeliveryOutcomeUnknown(ConsultantError):
    """The connection broke after the message data went out, before the server's reply.

    The server may or may not have accepted the message, so sending it again could
    deliver a second copy.
    """


class DeliveryAborted(ConsultantError):
    """A send stopped before the DATA command because its attempt was taken over."""
