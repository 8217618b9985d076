"""How legacy.sql and credentials.json were made: with skillcred as of commit 7c4f773
(skills passport profile v1: the skills JSON-LD context, one 2-bit `message` status entry
for safety certificates), so that later versions can show those credentials keep their
meaning. Run from a checkout of that commit:

    PYTHONPATH=src:. python tests/data/legacy-profile-v1/make.py OUT_DIR

It is kept for the record; it does not run against later versions.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import sys
from pathlib import Path

from tests.support.service import running_service

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
database = out / "legacy.db"
examples = Path("examples")
with running_service(f"sqlite:///{database}", out / "data") as service:
    credentials = {}
    api_keys = {}
    for slug, method in (("lasschool", "key"), ("websmid", "web")):
        provider = service.create_provider(slug, did_method=method, name=f"Legacy {slug}")
        api_keys[slug] = provider["apiKey"]
        key = {"Authorization": f"Bearer {provider['apiKey']}"}
        definition = json.loads((examples / "skill-definition.json").read_text())
        assert service.client.post("/skills", json=definition, headers=key).status_code == 201
        request = json.loads((examples / "skill-credential-request.json").read_text())
        for name, changes in (
            ("safety", {}),
            (
                "competency",
                {
                    "skill": {
                        **definition,
                        "key": "reading-drawings",
                        "achievementType": "Competency",
                        "safetyCritical": False,
                        "validityMonths": None,
                    }
                },
            ),
        ):
            response = service.client.post(
                "/skill-credentials", json={**request, **changes}, headers=key
            )
            assert response.status_code == 201, response.text
            credentials[f"{slug}-{name}"] = response.json()["verifiableCredential"]
    (out / "credentials.json").write_text(json.dumps(credentials, indent=2) + "\n")
    # Test-only API keys (the database holds their hashes), to change those credentials' status.
    (out / "api-keys.json").write_text(json.dumps(api_keys, indent=2) + "\n")
with sqlite3.connect(database) as connection:
    dump = "\n".join(connection.iterdump()) + "\n"
with gzip.open(out / "legacy.sql.gz", "wt", encoding="utf-8") as handle:
    handle.write(dump)
for leftover in out.glob("legacy.db*"):
    leftover.unlink()
