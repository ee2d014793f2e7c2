"""Settings, read once from the environment and an optional TOML file."""

from consultant.config.settings import Settings, TlsMode, get_settings, reset_settings

__all__ = ["Settings", "TlsMode", "get_settings", "reset_settings"]
