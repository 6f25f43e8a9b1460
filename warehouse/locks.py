"""Waiting for an exclusive `flock`, shared by the warehouse's writer lock and the local
Prefect server's start lock. The kernel drops such a lock when its holder dies, so a
killed command never leaves one behind."""

from __future__ import annotations

import fcntl
import time


def flock_within(fd: int, timeout: float, poll: float) -> bool:
    """Take an exclusive lock on `fd`, trying every `poll` seconds for up to `timeout`;
    False if another process still holds it then."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll)
