"""Sender rules stored by admins: validation, and intake applying them with the settings lists."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.admin import sender_rules
from consultant.admin.sender_rules import InvalidSenderPattern, normalise_pattern
from consultant.config import Settings, get_settings
from consultant.drafting.services import draft_for_message
from consultant.errors import ConsultantError, NotFound
from consultant.intake.services import store_message
from consultant.storage.models import Draft, InboundMessage, MessageState, SenderRule

SERVICE = "coding-help@example.org"


def _settings(**overrides: object) -> Settings:
    return get_settings(from_address=SERVICE, **overrides)


def _mail(number: int, sender: str) -> bytes:
    return (f"From: {sender}\r\nTo: {SERVICE}\r\nSubject: Question\r\n"
            f"Message-ID: <rule{number}@clinic.example.com>\r\n\r\nCan we bill 99213?\r\n").encode()


def _process(session: Session, raw: bytes, settings: Settings | None = None) -> InboundMessage:
    stored = store_message(session, raw)
    session.commit()
    draft_for_message(session, stored.message_row_id, settings or _settings())
    session.commit()
    return session.get_one(InboundMessage, stored.message_row_id)


def _rule(session: Session, pattern: str, action: str) -> SenderRule:
    rule = sender_rules.add_rule(session, pattern, action, "", "ada")
    session.commit()
    return rule


@pytest.mark.parametrize(("text", "expected"), [
    ("Dana@Clinic.Example.com", "dana@clinic.example.com"),
    ("  example.org ", "example.org"),
    ("@example.net", "example.net"),
    ("first.last+tag@sub.example.com", "first.last+tag@sub.example.com"),
])
def test_pattern_normalised(text: str, expected: str) -> None:
    assert normalise_pattern(text) == expected


@pytest.mark.parametrize("text", [
    "", "example", "dana@", "@", "dana@@example.com", "dana smith@example.com",
    "dana..smith@example.com", "-bad.example.com", "bad-.example.com", "exa mple.com",
    "dana@example..com", "a" * 65 + "@example.com", "<dana@example.com>",
])
def test_malformed_pattern_rejected(text: str) -> None:
    with pytest.raises(InvalidSenderPattern, match="not a valid"):
        normalise_pattern(text)


def test_add_rule_stores_author_and_note(session: Session) -> None:
    rule = sender_rules.add_rule(session, "Spam.Example.net", "deny", " bulk sender ", "ada")
    session.commit()

    assert rule.pattern == "spam.example.net"
    assert rule.action.value == "deny"
    assert rule.note == "bulk sender"
    assert rule.created_by == "ada"
    assert rule.created_at is not None


def test_duplicate_rule_rejected(session: Session) -> None:
    _rule(session, "example.net", "deny")

    with pytest.raises(ConsultantError, match="already exists"):
        sender_rules.add_rule(session, "EXAMPLE.net", "deny", "", "ada")


def test_unknown_action_rejected(session: Session) -> None:
    with pytest.raises(ConsultantError, match="invalid rule action"):
        sender_rules.add_rule(session, "example.net", "block", "", "ada")


def test_remove_rule(session: Session) -> None:
    rule = _rule(session, "example.net", "deny")

    sender_rules.remove_rule(session, rule.id)
    session.commit()

    assert session.scalar(select(func.count()).select_from(SenderRule)) == 0
    with pytest.raises(NotFound):
        sender_rules.remove_rule(session, rule.id)


def test_denied_address_gets_no_draft(session: Session) -> None:
    _rule(session, "eve@other.example.net", "deny")

    message = _process(session, _mail(1, "Eve@Other.example.net"))

    assert message.state is MessageState.IGNORED
    assert message.classification == "denied"
    assert session.scalar(select(func.count()).select_from(Draft)) == 0


def test_denied_domain_gets_no_draft(session: Session) -> None:
    _rule(session, "other.example.net", "deny")

    denied = _process(session, _mail(1, "eve@other.example.net"))
    subdomain = _process(session, _mail(2, "eve@mail.other.example.net"))

    assert denied.state is MessageState.IGNORED
    assert subdomain.state is MessageState.DRAFTED


def test_database_deny_wins_over_settings_allow(session: Session) -> None:
    _rule(session, "dana@clinic.example.com", "deny")
    settings = _settings(sender_allowlist=["clinic.example.com"])

    message = _process(session, _mail(1, "dana@clinic.example.com"), settings)

    assert message.classification == "denied"


def test_settings_deny_still_applies_with_rules(session: Session) -> None:
    _rule(session, "clinic.example.com", "allow")
    settings = _settings(sender_denylist=["dana@clinic.example.com"])

    message = _process(session, _mail(1, "dana@clinic.example.com"), settings)

    assert message.classification == "denied"


def test_database_allow_limits_senders(session: Session) -> None:
    _rule(session, "clinic.example.com", "allow")

    allowed = _process(session, _mail(1, "dana@clinic.example.com"))
    stranger = _process(session, _mail(2, "eve@other.example.net"))

    assert allowed.state is MessageState.DRAFTED
    assert stranger.state is MessageState.IGNORED
    assert stranger.classification_reasons == ["sender is not on the allowlist"]


def test_database_allow_extends_settings_allowlist(session: Session) -> None:
    _rule(session, "eve@other.example.net", "allow")
    settings = _settings(sender_allowlist=["clinic.example.com"])

    from_settings = _process(session, _mail(1, "dana@clinic.example.com"), settings)
    from_rule = _process(session, _mail(2, "eve@other.example.net"), settings)
    neither = _process(session, _mail(3, "max@third.example.org"), settings)

    assert from_settings.state is MessageState.DRAFTED
    assert from_rule.state is MessageState.DRAFTED
    assert neither.state is MessageState.IGNORED


@pytest.mark.parametrize(("sender", "expected"), [
    ("dana@clinic.example.com", MessageState.DRAFTED),
    ("eve@other.example.net", MessageState.IGNORED),
])
def test_settings_allowlist_alone_unchanged(session: Session, sender: str,
                                            expected: MessageState) -> None:
    settings = _settings(sender_allowlist=["clinic.example.com"])

    message = _process(session, _mail(1, sender), settings)

    assert message.state is expected
