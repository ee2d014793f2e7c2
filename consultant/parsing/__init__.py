"""Turning the raw bytes of an inbound email into what the pipeline reads."""

from consultant.parsing.message import ParsedMessage, parse_message, stand_in_message_id

__all__ = ["ParsedMessage", "parse_message", "stand_in_message_id"]
