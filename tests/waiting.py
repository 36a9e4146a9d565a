"""Waiting on conditions, never on fixed sleeps: CI runs on a loaded 2-core machine."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], timeout: float = 60.0, every: float = 0.05, what: str = "") -> T:
    """Poll `condition` until it returns something truthy, and return that; fail naming `what`."""
    deadline = time.monotonic() + timeout
    result = condition()
    while not result and time.monotonic() < deadline:
        time.sleep(every)
        result = condition()
    assert result, f"{what or 'condition'} not true within {timeout} s"
    return result


def listening(port: int) -> bool:
    """Whether a server accepts connections on 127.0.0.1:`port` (one started in another process, say)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def wait_past(moment: datetime) -> None:
    """Until the clock has passed `moment` (a reminder's instant, say)."""
    wait_until(lambda: datetime.now(UTC) > moment, timeout=max(1.0, (moment - datetime.now(UTC)).total_seconds() + 5),
               every=0.1, what=f"past {moment:%H:%M:%S}")
