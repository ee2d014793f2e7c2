"""Delivery: sending approved replies by SMTP and flagging the question \\Answered."""
