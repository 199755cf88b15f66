"""Who is fingerprinting a file: worker names written into a claimed song row, and when a claim is stale.

Several ingests (processes on one machine or on several) share one store by claiming each file's song
row before they decode it. A claim names its worker as ``host:pid:nonce`` and carries the time the
worker last renewed it. Another worker may take a claim over when it has not been renewed within the
lease, or at once when it was made on this host by a process that no longer runs.
"""

from __future__ import annotations

import os
import secrets
import socket

#: Seconds after its last renewal that a claim may be taken over by another worker. Ingestors renew
#: their claims several times per lease, so only a crashed or frozen worker loses its files.
CLAIM_LEASE_S = 300.0
#: How often an ingestor renews its claims.
RENEW_EVERY_S = CLAIM_LEASE_S / 5
MAX_WORKER_CHARS = 255


def new_worker_name() -> str:
    """A name for this process's claims, unique across hosts and restarts."""
    return f"{_this_host()}:{os.getpid()}:{secrets.token_hex(6)}"


def _this_host() -> str:
    return socket.gethostname()[: MAX_WORKER_CHARS - 40]


def _process_gone(worker: str) -> bool:
    """True if `worker` was a process on this host that no longer runs."""
    parts = worker.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != _this_host() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it runs, as another user
    return False


def claim_is_stale(worker: str | None, age_s: float, lease_s: float = CLAIM_LEASE_S) -> bool:
    """True if a claim by `worker`, last renewed `age_s` seconds ago, may be taken over."""
    return worker is None or age_s > lease_s or _process_gone(worker)
