"""ES256 (P-256) keys for SD-JWT VC, and the deployment's issuing CA

Beside each provider's Ed25519 Data Integrity keys, a P-256 key signs its SD-JWT VCs and
Token Status Lists, with a leaf certificate from the deployment's issuing CA (whose own
P-256 key is the row with no provider). Keys live in the same stores as the Ed25519 ones
(``database``: sealed under the master key; ``pkcs11``: in the token) with the same
lifecycle columns (retired, compromised).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "es256_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=36), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("store", sa.String(length=16), nullable=False),
        sa.Column("encrypted_secret", sa.LargeBinary(), nullable=True),
        sa.Column("master_key_id", sa.String(length=64), nullable=True),
        sa.Column("store_ref", sa.String(length=200), nullable=True),
        sa.Column("certificate", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("compromised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("compromised_since", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_es256_keys_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_es256_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_es256_keys_kid")),
    )
    op.create_index(op.f("ix_es256_keys_provider_id"), "es256_keys", ["provider_id"])
    # At most one current key per provider and purpose (the CA: provider_id NULL), so two
    # workers making a provider's first key lazily cannot both succeed.
    op.create_index(
        "uq_es256_keys_current",
        "es256_keys",
        [sa.text("coalesce(provider_id, '')"), "purpose"],
        unique=True,
        sqlite_where=sa.text("retired_at IS NULL"),
        postgresql_where=sa.text("retired_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_es256_keys_current", table_name="es256_keys")
    op.drop_index(op.f("ix_es256_keys_provider_id"), table_name="es256_keys")
    op.drop_table("es256_keys")
