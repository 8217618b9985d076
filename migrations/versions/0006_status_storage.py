"""status values kept per entry: no list row is rewritten whole on a reservation or a change

Until now each list row held a 16 KB allocation bitmap and its status bits, both written
back whole on every 32-index reservation and every status change (on PostgreSQL a new
TOAST copy each time). The entries table already records every index handed out (its
primary key is what keeps an index from being handed out twice), so the bitmap goes;
each entry carries its own status value, and a list's bitstring is folded from the
entries whose value is not 0 when the list is signed (a partial index finds just those).

Data: each list's set bits move into its entries. An index marked in a bitmap (or set in
the bits) without an entry row gets one, unlinked, so it is never handed out again.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_lists = sa.table(
    "status_lists",
    sa.column("id", sa.String),
    sa.column("provider_id", sa.String),
    sa.column("entries", sa.Integer),
    sa.column("status_size", sa.Integer),
    sa.column("allocation", sa.LargeBinary),
    sa.column("allocated", sa.Integer),
    sa.column("bits", sa.LargeBinary),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_entries = sa.table(
    "status_entries",
    sa.column("list_id", sa.String),
    sa.column("idx", sa.Integer),
    sa.column("provider_id", sa.String),
    sa.column("credential_row_id", sa.String),
    sa.column("allocated_at", sa.DateTime(timezone=True)),
    sa.column("status", sa.Integer),
)


def _set_bits(bitmap: bytes) -> Iterator[int]:
    """Positions of the 1 bits (position 0 = the first byte's left-most bit)."""
    for byte_index, byte in enumerate(bitmap):
        if byte:
            for bit in range(8):
                if byte & (0x80 >> bit):
                    yield byte_index * 8 + bit


def _values(bits: bytes, status_size: int) -> dict[int, int]:
    """Index -> value of every non-zero entry (each ``status_size`` bits, left-most first)."""
    values: dict[int, int] = {}
    for position in _set_bits(bits):
        index, offset = divmod(position, status_size)
        values[index] = values.get(index, 0) | (1 << (status_size - 1 - offset))
    return values


def upgrade() -> None:
    with op.batch_alter_table("status_entries", schema=None) as batch_op:
        batch_op.add_column(
            # A plain default: SQLite then adds the column in place (no table copy).
            sa.Column("status", sa.Integer(), server_default="0", nullable=False)
        )

    connection = op.get_bind()
    lists = connection.execute(
        sa.select(
            _lists.c.id,
            _lists.c.provider_id,
            _lists.c.status_size,
            _lists.c.allocation,
            _lists.c.bits,
            _lists.c.created_at,
        )
    ).all()
    for list_id, provider_id, status_size, allocation, bits, created_at in lists:
        values = _values(bytes(bits), int(status_size))
        known = set(
            connection.execute(
                sa.select(_entries.c.idx).where(_entries.c.list_id == list_id)
            ).scalars()
        )
        missing = (set(_set_bits(bytes(allocation))) | set(values)) - known
        if missing:
            connection.execute(
                _entries.insert(),
                [
                    {
                        "list_id": list_id,
                        "idx": index,
                        "provider_id": provider_id,
                        "credential_row_id": None,
                        "allocated_at": created_at or datetime.now(UTC),
                        "status": 0,
                    }
                    for index in sorted(missing)
                ],
            )
        if values:
            connection.execute(
                _entries.update()
                .where(
                    _entries.c.list_id == sa.bindparam("p_list"),
                    _entries.c.idx == sa.bindparam("p_index"),
                )
                .values(status=sa.bindparam("p_status")),
                [
                    {"p_list": list_id, "p_index": index, "p_status": value}
                    for index, value in sorted(values.items())
                ],
            )
        connection.execute(
            _lists.update()
            .where(_lists.c.id == list_id)
            .values(
                allocated=sa.select(sa.func.count())
                .select_from(_entries)
                .where(_entries.c.list_id == list_id)
                .scalar_subquery()
            )
        )

    with op.batch_alter_table("status_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_entries_set",
            ["list_id", "idx"],
            unique=False,
            sqlite_where=sa.text("status <> 0"),
            postgresql_where=sa.text("status <> 0"),
        )
    # Not in a batch: SQLite (3.35+) drops these columns in place, where a batch would
    # copy the table, and dropping the original would trip the entries' foreign key.
    op.drop_column("status_lists", "allocation")
    op.drop_column("status_lists", "bits")


def downgrade() -> None:
    op.add_column(
        "status_lists",
        sa.Column("allocation", sa.LargeBinary(), server_default=sa.text("''"), nullable=False),
    )
    op.add_column(
        "status_lists",
        sa.Column("bits", sa.LargeBinary(), server_default=sa.text("''"), nullable=False),
    )
    connection = op.get_bind()
    lists = connection.execute(sa.select(_lists.c.id, _lists.c.entries, _lists.c.status_size)).all()
    for list_id, entries, status_size in lists:
        allocation = bytearray(int(entries) // 8)
        bits = bytearray(int(entries) * int(status_size) // 8)
        rows = connection.execute(
            sa.select(_entries.c.idx, _entries.c.status).where(_entries.c.list_id == list_id)
        )
        for index, value in rows:
            allocation[index >> 3] |= 0x80 >> (index & 7)
            for offset in range(int(status_size)):
                if value & (1 << (int(status_size) - 1 - offset)):
                    position = index * int(status_size) + offset
                    bits[position >> 3] |= 0x80 >> (position & 7)
        connection.execute(
            _lists.update()
            .where(_lists.c.id == list_id)
            .values(allocation=bytes(allocation), bits=bytes(bits))
        )
    with op.batch_alter_table("status_entries", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_status_entries_set",
            sqlite_where=sa.text("status <> 0"),
            postgresql_where=sa.text("status <> 0"),
        )
    op.drop_column("status_entries", "status")
