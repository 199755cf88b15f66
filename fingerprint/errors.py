"""Errors raised by the fingerprinting package."""

from __future__ import annotations


class FingerprintError(Exception):
    """Base class of every error raised by `fingerprint`."""


class ParameterError(FingerprintError, ValueError):
    """A function was called with a value it cannot work with; the message names the value."""


class DecodeError(FingerprintError):
    """A file could not be read as audio; the message names the file and the reason."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason

    def __reduce__(self) -> tuple[type[DecodeError], tuple[str, str]]:
        # Rebuilt from both fields, so that it survives the trip back from an ingest worker process.
        return (type(self), (self.path, self.reason))
