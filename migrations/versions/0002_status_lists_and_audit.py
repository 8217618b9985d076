"""status lists, status entries, audit trail (with its genesis head)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


GENESIS = "0" * 64


def upgrade() -> None:
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    # The chain starts here: the first event's prev_hash is the genesis hash.
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("provider_id", sa.String(length=36), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=700), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_audit_events_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_events_provider_id"), ["provider_id"], unique=False
        )

    op.create_table(
        "status_lists",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("issuer", sa.String(length=512), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("allocation", sa.LargeBinary(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("bits", sa.LargeBinary(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("signed_version", sa.Integer(), nullable=False),
        sa.Column("signed_document", sa.Text(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_status_lists_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_lists")),
    )
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_lists_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            "uq_status_lists_open",
            ["provider_id", "purpose", "issuer"],
            unique=True,
            sqlite_where=sa.text("NOT closed"),
            postgresql_where=sa.text("NOT closed"),
        )

    op.create_table(
        "status_entries",
        sa.Column("list_id", sa.String(length=36), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=36), nullable=False),
        sa.Column("credential_row_id", sa.String(length=36), nullable=True),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_row_id"],
            ["credentials.id"],
            name=op.f("fk_status_entries_credential_row_id_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["list_id"], ["status_lists.id"], name=op.f("fk_status_entries_list_id_status_lists")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_status_entries_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("list_id", "idx", name=op.f("pk_status_entries")),
    )
    with op.batch_alter_table("status_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_entries_credential_row_id"), ["credential_row_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("status_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_entries_credential_row_id"))

    op.drop_table("status_entries")
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_status_lists_open",
            sqlite_where=sa.text("NOT closed"),
            postgresql_where=sa.text("NOT closed"),
        )
        batch_op.drop_index(batch_op.f("ix_status_lists_provider_id"))

    op.drop_table("status_lists")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_provider_id"))

    op.drop_table("audit_events")
    op.drop_table("audit_head")
