"""Turning the raw bytes of an inbound email into what the pipeline reads."""

from consultant.parsing.message import (
    ParsedMessage,
    not_a_message_reason,
    parse_message,
    stand_in_message_id,
)

__all__ = ["ParsedMessage", "not_a_message_reason", "parse_message", "stand_in_message_id"]
