"""Drafting: turning a parsed question and its codes into a reply for review."""
