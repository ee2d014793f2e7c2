"""Intake: fetching new mail from the IMAP mailbox and storing it unchanged."""
