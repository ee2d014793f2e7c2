"""Sender allow and deny rules kept in the database, and their check against a sender.

A rule names one address ("person@example.com") or a domain ("example.com"), which
matches every address at exactly that domain but not at its subdomains. Intake combines them
with the settings lists: a deny entry from either source wins, and when either source
has allow entries, only senders that match one of them get a draft.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.config import Settings
from consultant.errors import ConsultantError, NotFound
from consultant.storage.ids import get_by_id
from consultant.storage.models import SenderRule, SenderRuleAction

log = logging.getLogger(__name__)

MAX_NOTE_LENGTH = 500
# A DNS name of at least two labels: letters, digits and inner hyphens, 63 characters each.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+$")
# The dot-atom local part of RFC 5322; quoted local parts are not accepted.
_LOCAL_PART = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


class InvalidSenderPattern(ConsultantError):
    """A sender rule is neither a valid email address nor a valid domain."""


def normalise_pattern(text: str) -> str:
    """Return *text* as a lower-case address or domain, or raise InvalidSenderPattern."""
    pattern = text.strip().lower()
    if pattern.startswith("@"):
        pattern = pattern[1:]
    local, at, domain = pattern.rpartition("@")
    if len(pattern) > 254 or not _DOMAIN.match(domain):
        raise InvalidSenderPattern(
            f"{text.strip()!r} is not a valid address or domain; enter an address such as "
            "person@example.com or a domain such as example.com")
    if at and not (len(local) <= 64 and _LOCAL_PART.match(local)):
        raise InvalidSenderPattern(
            f"{text.strip()!r} is not a valid email address; the part before @ may contain "
            "letters, digits, dots and !#$%&'*+/=?^_`{|}~- but no spaces or double dots")
    return pattern


def list_rules(session: Session) -> list[SenderRule]:
    return list(session.scalars(select(SenderRule).order_by(SenderRule.action, SenderRule.pattern)))


def add_rule(session: Session, pattern: str, action: str, note: str, author: str) -> SenderRule:
    """Store a rule; raises InvalidSenderPattern or ConsultantError on bad or duplicate input."""
    if action not in {member.value for member in SenderRuleAction}:
        raise ConsultantError(f"invalid rule action {action!r}; use allow or deny")
    normalised = normalise_pattern(pattern)
    if len(note) > MAX_NOTE_LENGTH:
        raise ConsultantError(f"the note has {len(note)} characters; the maximum is "
                              f"{MAX_NOTE_LENGTH}")
    existing = session.scalar(select(SenderRule).where(
        SenderRule.pattern == normalised, SenderRule.action == SenderRuleAction(action)))
    if existing is not None:
        raise ConsultantError(f"a {action} rule for {normalised!r} already exists")
    rule = SenderRule(pattern=normalised, action=SenderRuleAction(action),
                      note=note.strip() or None, created_by=author)
    session.add(rule)
    session.flush()
    log.info("sender rule=%d (%s) added", rule.id, action)
    return rule


def remove_rule(session: Session, rule_id: int) -> None:
    rule = get_by_id(session, SenderRule, rule_id)
    if rule is None:
        raise NotFound(f"sender rule {rule_id} not found")
    session.delete(rule)
    log.info("sender rule=%d removed", rule_id)


@dataclass
class SenderLists:
    """The allow and deny entries of the settings and the database, in lower case."""

    allow: list[str]
    deny: list[str]


def effective_lists(session: Session, settings: Settings) -> SenderLists:
    """Return the settings lists extended with the database rules."""
    lists = SenderLists(allow=list(settings.sender_allowlist), deny=list(settings.sender_denylist))
    for pattern, action in session.execute(select(SenderRule.pattern, SenderRule.action)):
        target = lists.allow if SenderRuleAction(action) is SenderRuleAction.ALLOW else lists.deny
        target.append(pattern)
    return lists
