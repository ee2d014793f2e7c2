"""Admin services behind the web pages and API: mailboxes, sender rules and reply templates."""
