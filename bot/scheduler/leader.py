"""One replica runs the reminder service: the one holding its lease in the database.

Every `serve` tries to take the lease at start, then every LEADER_LEASE/3 seconds; the holder renews it
as often. The replica that takes it starts the service. One whose renewal is refused (another took the
lease once it had expired), or that has not renewed for two thirds of the lease (the database out of
reach), stops the service before its lease can expire. A clean shutdown gives the lease up, and another
replica takes it at its next attempt. A single process takes the lease at start; restarted after a
crash, it takes its dead predecessor's lease at once rather than wait for it to expire.

The lease only keeps replicas from doing the same work twice. What is sent is sent once by the outbox
(a row per key and destination, claimed by one sender), and a new leader sends what fell due while the
lease changed hands (ReminderService.start: the outbox left pending, the plan since the last heartbeat).
Assumed: replicas on different machines have different hostnames (a holder named after this host whose
process is gone is dead), and clocks run at the same rate over a lease (the expiry itself is the
database's time).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from bot.storage.lease import LeaseRows

log = logging.getLogger(__name__)
_MINE: set[str] = set()  # the holder ids made by this process: alive for as long as the process is


class Service(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


def holder_id() -> str:
    """hostname:pid:random, unique to this Leader."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    _MINE.add(holder)
    return holder


def dead(holder: str) -> bool:
    """Whether `holder` is known to be dead: named after this host, and either its process is gone, or it
    has this process's pid without being one of its holders (an earlier life, as a container's pid 1)."""
    host, _, rest = holder.partition(":")  # a hostname has no ':'
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdecimal():
        return False
    if int(pid) == os.getpid():
        return holder not in _MINE
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process: alive
        return False
    return False


class Leader:
    """Runs a service (made afresh by `make` each time it leads) while this process holds the lease `name`."""

    def __init__(self, leases: LeaseRows, seconds: float, make: Callable[[], Service], name: str = "reminders") -> None:
        self.leases, self.seconds, self.make, self.name = leases, seconds, make, name
        self.holder = holder_id()
        self.service: Service | None = None  # while leading
        self._valid_until = 0.0  # monotonic: the lease is surely ours until then
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # between the thread's attempts and stop()
        self._thread: threading.Thread | None = None

    @property
    def leading(self) -> bool:
        return self.service is not None

    def start(self) -> Leader:
        """The first attempt here and now: a failure to reach the database, or to start the service, is
        raised to the caller (the startup, which stops `serve`). Then a thread keeps trying and renewing."""
        self._attempt()
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-leader", daemon=True)
        self._thread.start()
        return self

    def stop(self, release: bool = True) -> None:
        """Stop trying, stop the service, and give the lease up (unless `release` is False: it expires)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self.seconds)
        with self._lock:
            self._follow()
        if release:
            try:
                self.leases.release(self.name, self.holder, self.seconds)
            except SQLAlchemyError as error:  # it expires instead
                log.warning("could not give up the %s lease: %s", self.name, error)

    def _run(self) -> None:
        while not self._stopping.wait(self.seconds / 3):
            try:
                self._attempt()
            except Exception:  # the next attempt tries again
                log.exception("the %s service could not start; the lease is given up", self.name)

    def _attempt(self) -> None:
        held = self._renew(first=self._thread is None)
        with self._lock:
            if self._stopping.is_set():
                return
            if held and self.service is None:
                self._lead()
            elif self.service is not None and (held is False or self._lapsing()):
                log.warning("%s lost the %s lease: its service stops", self.holder, self.name)
                self._follow()

    def _renew(self, first: bool = False) -> bool | None:
        """Take or renew the lease: whether it is ours now; None when the database did not say (then it
        stays ours until it may have expired). At the first attempt, the caller is told why."""
        began = time.monotonic()
        try:
            held = self.leases.acquire(self.name, self.holder, self.seconds, gone=dead)
        except SQLAlchemyError as error:
            if first:
                raise
            log.warning("could not renew the %s lease: %s", self.name, error)
            return None
        if held:
            self._valid_until = began + self.seconds
        return held

    def _lapsing(self) -> bool:
        """Not renewed for two thirds of the lease: stopped now, the service is surely gone before it expires."""
        return time.monotonic() >= self._valid_until - self.seconds / 3

    def _lead(self) -> None:
        """Start a new service, renewing the lease meanwhile: a start may take a while (settling what a
        crash left means asking Slack), and must not outlast the lease, or two replicas would run."""
        service, started, refused = self.make(), threading.Event(), threading.Event()

        def renew() -> None:
            while not started.wait(self.seconds / 3):
                if self._renew() is False:
                    refused.set()

        renewing = threading.Thread(target=renew, name=f"{self.name}-lease-while-starting", daemon=True)
        renewing.start()
        try:
            service.start()
        except Exception:
            service.stop()
            self.leases.release(self.name, self.holder, self.seconds)
            raise
        finally:
            started.set()
            renewing.join()
        self.service = service
        if refused.is_set() or self._lapsing():
            log.warning("%s lost the %s lease while its service started: it stops", self.holder, self.name)
            self._follow()
        else:
            log.info("%s holds the %s lease: its service runs here", self.holder, self.name)

    def _follow(self) -> None:
        if self.service is not None:
            self.service.stop()
            self.service = None
