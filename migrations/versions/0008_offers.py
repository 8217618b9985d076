"""wallet delivery: credential offers, their VC-API exchanges, OpenID4VCI nonces

An offer holds what to issue and to whom until a wallet collects it (OpenID4VCI
pre-authorized code flow or a VC-API exchange). Codes, tokens, exchange ids and nonces
are stored only as SHA-256 hashes; ``request`` (the personal data) is emptied once the
offer is delivered, withdrawn, locked or expired.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "offers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("request", sa.Text(), nullable=True),
        sa.Column("handle_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("tx_code_hash", sa.String(length=64), nullable=True),
        sa.Column("tx_attempts", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("credential_id", sa.String(length=700), nullable=True),
        sa.Column("delivered_via", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_offers_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        sa.UniqueConstraint("handle_hash", name=op.f("uq_offers_handle_hash")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_offers_code_hash")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_offers_token_hash")),
    )
    op.create_index(op.f("ix_offers_provider_id"), "offers", ["provider_id"], unique=False)
    op.create_index(op.f("ix_offers_expires_at"), "offers", ["expires_at"], unique=False)
    op.create_table(
        "offer_exchanges",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("offer_id", sa.String(length=36), nullable=False),
        sa.Column("challenge", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_offer_exchanges_offer_id_offers")
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_offer_exchanges")),
    )
    op.create_index(
        op.f("ix_offer_exchanges_offer_id"), "offer_exchanges", ["offer_id"], unique=False
    )
    op.create_table(
        "offer_nonces",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name=op.f("pk_offer_nonces")),
    )
    op.create_index(
        op.f("ix_offer_nonces_expires_at"), "offer_nonces", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_offer_nonces_expires_at"), table_name="offer_nonces")
    op.drop_table("offer_nonces")
    op.drop_index(op.f("ix_offer_exchanges_offer_id"), table_name="offer_exchanges")
    op.drop_table("offer_exchanges")
    op.drop_index(op.f("ix_offers_expires_at"), table_name="offers")
    op.drop_index(op.f("ix_offers_provider_id"), table_name="offers")
    op.drop_table("offers")
