"""Group commit: writes from concurrent requests share one transaction.

A request hands its write (a function of a session) to the process's writer thread and
waits for the outcome. The thread takes every write that is waiting, runs them all in
one transaction and commits once, then answers each. When the batch fails on a
constraint, each write is retried in a transaction of its own, so a duplicate answers
only the request that caused it. A request is answered only after its commit.

A write must therefore be safe to run twice from scratch (it is rolled back the first
time): build rows from data, never from state read outside the write.

This spares SQLite its global write lock per credential and PostgreSQL a WAL flush per
credential, and keeps the event loop free while the database works.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from skillcred.storage.db import Database

log = logging.getLogger("skillcred.writer")
T = TypeVar("T")


@dataclass(slots=True)
class _Job(Generic[T]):
    work: Callable[[Session], T]
    future: Future[T]


class BatchWriter:
    def __init__(self, database: Database, *, max_batch: int = 128) -> None:
        self._database = database
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = -1

    def submit(self, work: Callable[[Session], T]) -> Future[T]:
        """Run ``work`` in a write transaction; the future resolves after the commit."""
        future: Future[T] = Future()
        self._ensure_thread()
        self._queue.put(_Job(work, future))
        return future

    def close(self) -> None:
        if self._thread is not None and self._pid == os.getpid():
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid():  # first use, or after fork
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._loop, name="skillcred-writer", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._queue.put(None)
                    break
                batch.append(job)
            self._write(batch)

    def _write(self, batch: list[_Job[Any]]) -> None:
        if len(batch) > 1:
            try:
                results = []
                with self._database.writing() as session:
                    for job in batch:
                        results.append(job.work(session))
            except Exception:  # noqa: S110 - one write failed: each is retried alone below
                pass
            else:
                for job, result in zip(batch, results, strict=True):
                    job.future.set_result(result)
                return
        for job in batch:
            try:
                with self._database.writing() as session:
                    result = job.work(session)
            except Exception as exc:
                job.future.set_exception(exc)
            else:
                job.future.set_result(result)
