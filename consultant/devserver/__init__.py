"""Local mail servers for the embedded run and the tests: pymap for IMAP, aiosmtpd for SMTP."""
