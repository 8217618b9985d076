"""audit events found by the credential they are about

Verifying a suspended credential reads the reason its provider gave for the suspension
from the audit trail (the provider's latest suspension or reinstatement of that
credential): an index on (provider_id, subject) keeps that one lookup from scanning all of
a provider's events, of which there is one per credential issued.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_events_provider_subject", ["provider_id", "subject"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_provider_subject")
