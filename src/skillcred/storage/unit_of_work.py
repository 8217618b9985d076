"""Writes deferred to the end of a transaction: one executemany per statement at commit.

Kept apart from the engines (``db.py``) so that the repositories, which defer their
inserts, and the engines, which flush them and lock the audit chain's head, import in
one direction only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import Executable

_DEFERRED = "skillcred_deferred"


def defer(
    session: Session,
    statement: Executable,
    params: dict[str, Any],
    *,
    expect_rows: bool = False,
    last_only: bool = False,
) -> None:
    """Run ``statement`` with ``params`` just before the transaction commits, together with
    every other call of the same statement (one executemany per statement, in the order the
    statements were first deferred). A group commit of many credentials then costs a few
    round trips to the database instead of a few per credential. ``last_only`` keeps only
    the latest parameters (an update of one row, such as a chain's head)."""
    pending: dict[Executable, tuple[list[dict[str, Any]], bool]] = session.info.setdefault(
        _DEFERRED, {}
    )
    rows, _ = pending.setdefault(statement, ([], expect_rows))
    if last_only:
        rows.clear()
    rows.append(params)


def flush_deferred(session: Session) -> None:
    pending: dict[Executable, tuple[list[dict[str, Any]], bool]] = session.info.pop(_DEFERRED, {})
    connection = session.connection() if pending else None
    for statement, (rows, expect_rows) in pending.items():
        assert connection is not None
        try:
            result = connection.execute(statement, rows)
        except IntegrityError as exc:
            raise DuplicateError(str(exc.orig)) from exc
        if (
            expect_rows
            and connection.dialect.supports_sane_multi_rowcount
            and result.rowcount != len(rows)
        ):
            raise DeferredWriteError(
                f"{len(rows) - result.rowcount} of {len(rows)} deferred updates matched no row"
            )


class DuplicateError(Exception):
    """A unique constraint refused the row (e.g. a slug or a credential id in use)."""


class DeferredWriteError(RuntimeError):
    """A deferred update that must change one row each did not."""
