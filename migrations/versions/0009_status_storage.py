"""status values apart from the lists: no list is rewritten whole per reservation or change

Until now each list row held a 16 KB allocation bitmap and its status bits, both written
back whole on every 32-index reservation and every status change (on PostgreSQL a new
TOAST copy each time). The entries table already records every index handed out (its
primary key is what keeps an index from being handed out twice), so the bitmap goes;
the values of set entries (revoked, suspended) get a small table of their own,
``status_values``, a row per set entry, and a list's bitstring is folded from its rows
when the list is signed.

Data: each list's set bits become rows of ``status_values``. An index marked in a bitmap
(or set in the bits) without an entry row gets one, unlinked, so it is never handed out
again.

Upgrading: versions before this one read the dropped columns. Stop them before running
this migration (docs/deployment.md, *Upgrades*).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
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
)
_values_table = sa.table(
    "status_values",
    sa.column("list_id", sa.String),
    sa.column("idx", sa.Integer),
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
    op.create_table(
        "status_values",
        sa.Column("list_id", sa.String(length=36), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["status_lists.id"], name=op.f("fk_status_values_list_id_status_lists")
        ),
        sa.PrimaryKeyConstraint("list_id", "idx", name=op.f("pk_status_values")),
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
                    }
                    for index in sorted(missing)
                ],
            )
        if values:
            connection.execute(
                _values_table.insert(),
                [
                    {"list_id": list_id, "idx": index, "status": value}
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
        for index in connection.execute(
            sa.select(_entries.c.idx).where(_entries.c.list_id == list_id)
        ).scalars():
            allocation[index >> 3] |= 0x80 >> (index & 7)
        for index, value in connection.execute(
            sa.select(_values_table.c.idx, _values_table.c.status).where(
                _values_table.c.list_id == list_id
            )
        ):
            for offset in range(int(status_size)):
                if value & (1 << (int(status_size) - 1 - offset)):
                    position = index * int(status_size) + offset
                    bits[position >> 3] |= 0x80 >> (position & 7)
        connection.execute(
            _lists.update()
            .where(_lists.c.id == list_id)
            .values(allocation=bytes(allocation), bits=bytes(bits))
        )
    op.drop_table("status_values")
