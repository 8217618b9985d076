"""skills passport profile: skill definitions, multi-state (statusSize 2) status lists

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status_size", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
    op.create_table(
        "skill_definitions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("achievement", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_skill_definitions_provider_id_providers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_definitions")),
        sa.UniqueConstraint("provider_id", "key", name=op.f("uq_skill_definitions_provider_id")),
    )


def downgrade() -> None:
    op.drop_table("skill_definitions")
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.drop_column("status_size")
