"""keys and access an operator can manage

API keys get a name, a last-use time and an optional expiry (``revoked_at`` may lie in the
future: a rotated key stays valid for its grace period); a provider can be suspended;
a signing key can be reported compromised (as of a time, or entirely) and can live in a
PKCS#11 token instead of the database (then ``encrypted_secret`` is empty and
``store_ref`` names the key in the token).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("suspension_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("store", sa.String(length=16), nullable=False, server_default="database")
        )
        batch_op.add_column(sa.Column("store_ref", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("compromised_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("compromised_since", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column("encrypted_secret", existing_type=sa.LargeBinary(), nullable=True)
        batch_op.alter_column("master_key_id", existing_type=sa.String(length=64), nullable=True)


def downgrade() -> None:
    connection = op.get_bind()
    held = connection.execute(
        sa.text("SELECT count(*) FROM signing_keys WHERE store <> 'database'")
    ).scalar()
    if held:
        raise RuntimeError(
            f"{held} signing keys live in a PKCS#11 token; the earlier schema cannot "
            "represent them (move those providers to new database keys first)"
        )
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.alter_column("master_key_id", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("encrypted_secret", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("compromised_since")
        batch_op.drop_column("compromised_at")
        batch_op.drop_column("store_ref")
        batch_op.drop_column("store")
    # Not recreated on SQLite (other tables' foreign keys point at it, and SQLite cannot
    # drop a referenced table while they are enforced): ALTER TABLE … DROP COLUMN, which
    # SQLite has since 3.35, for these plain columns.
    with op.batch_alter_table("providers", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("suspension_reason")
        batch_op.drop_column("suspended_at")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("name")
