"""skills passport profile v2: stored skill definitions in Open Badges terms alone

Profile v1 marked a safety-critical skill with ``safetyCritical``, a term of its own
JSON-LD context; profile v2 uses no context of its own and marks it with
``achievement.tag: ["safety-critical"]``. Stored definitions are rewritten so that new
credentials issued from them carry standard terms only. Credentials already issued are
signed documents and are not touched.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TAG = "safety-critical"
definitions = sa.table(
    "skill_definitions", sa.column("id", sa.String()), sa.column("achievement", sa.Text())
)


def _to_v2(achievement: dict[str, Any]) -> dict[str, Any]:
    flagged = achievement.pop("safetyCritical", False)
    if flagged and TAG not in achievement.get("tag", []):
        achievement["tag"] = [*achievement.get("tag", []), TAG]
    return achievement


def _to_v1(achievement: dict[str, Any]) -> dict[str, Any]:
    tags = achievement.pop("tag", [])
    if TAG in tags:
        achievement["safetyCritical"] = True
    if [t for t in tags if t != TAG]:
        achievement["tag"] = [t for t in tags if t != TAG]
    return achievement


def _migrate(*, to_v2: bool) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(definitions.c.id, definitions.c.achievement)).all()
    for row_id, raw in rows:
        stored = json.loads(raw)
        achievement = dict(stored["achievement"])
        rewritten = {**stored, "achievement": (_to_v2 if to_v2 else _to_v1)(achievement)}
        if rewritten != stored:
            connection.execute(
                definitions.update()
                .where(definitions.c.id == row_id)
                .values(achievement=json.dumps(rewritten, separators=(",", ":")))
            )


def upgrade() -> None:
    _migrate(to_v2=True)


def downgrade() -> None:
    _migrate(to_v2=False)
