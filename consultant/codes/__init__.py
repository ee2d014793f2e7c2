"""The code knowledge base: code sets, their editions, and lookups by date of service."""
