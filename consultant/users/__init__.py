"""Accounts of the people who use the web queue, their passwords and their sign-in sessions."""
