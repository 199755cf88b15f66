"""Errors raised while loading the configuration."""


class ConfigError(Exception):
    """The configuration file is missing, malformed or holds a bad value; the message says which."""
