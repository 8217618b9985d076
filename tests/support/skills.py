"""The skill catalogue the end-to-end and integration tests register: a welding school's
skills (ESCO-aligned, with levels and EQF), and a skill credential request for a holder."""

from __future__ import annotations

from typing import Any

from skillcred import Ed25519KeyPair

SKILLS: list[dict[str, Any]] = [
    {
        "key": "mig-fillet",
        "name": "MIG/MAG fillet welding",
        "description": "Welds fillet joints in carbon steel with MIG/MAG, positions PA, PB, PF.",
        "criteria": "Practical test per EN ISO 9606-1: three test pieces, visual and macro test.",
        "achievementType": "Certification",
        "safetyCritical": True,
        "validityMonths": 24,
        "alignment": [
            {
                "framework": "ESCO",
                "url": "http://data.europa.eu/esco/skill/a5e5e6a4-9c3b-4e2d-8f3c-8b6a0f1f2d3e",
                "name": "weld metal parts",
            }
        ],
        "levels": [
            {"key": "basic", "name": "Basic", "eqf": 2},
            {"key": "independent", "name": "Independent", "eqf": 3},
            {"key": "expert", "name": "Expert", "eqf": 4},
        ],
    },
    {
        "key": "working-at-height",
        "name": "Working safely at height",
        "criteria": "Uses fall protection and inspects it; rescue plan; practical exercise.",
        "achievementType": "Certification",
        "safetyCritical": True,
        "validityMonths": 36,
        "alignment": [
            {
                "framework": "ESCO",
                "url": "http://data.europa.eu/esco/skill/0a5b3f3c-3c4e-4e79-a3f0-6e2e0b7d1c11",
                "name": "follow safety procedures when working at heights",
            }
        ],
        "levels": [{"key": "basic", "name": "Basic", "eqf": 2}],
    },
    {
        "key": "technical-drawings",
        "name": "Reading technical drawings",
        "criteria": "Reads welding symbols and dimensions on ISO 2553 drawings.",
        "alignment": [
            {
                "framework": "ESCO",
                "url": "http://data.europa.eu/esco/skill/1c1e4b0c-0a0e-4c87-9b9b-6f3c8a1d2e44",
                "name": "read engineering drawings",
            }
        ],
        "levels": [
            {"key": "basic", "name": "Basic", "eqf": 2},
            {"key": "independent", "name": "Independent", "eqf": 3},
        ],
    },
    {
        "key": "tig-pipe",
        "name": "TIG pipe welding",
        "criteria": "Butt welds on pipe, position H-L045.",
        "alignment": [
            {
                "framework": "ESCO",
                "url": "http://data.europa.eu/esco/skill/2d2e4b0c-0a0e-4c87-9b9b-6f3c8a1d2e45",
                "name": "weld pipes",
            }
        ],
        "levels": [{"key": "basic", "name": "Basic", "eqf": 3}],
    },
    {
        "key": "forklift",
        "name": "Forklift driving",
        "criteria": "Drives and loads a counterbalance forklift safely.",
        "alignment": [
            {
                "framework": "ESCO",
                "url": "http://data.europa.eu/esco/skill/3e3e4b0c-0a0e-4c87-9b9b-6f3c8a1d2e46",
                "name": "operate forklift",
            }
        ],
        "achievementType": "License",
        "validityMonths": 60,
        "levels": [{"key": "basic", "name": "Basic", "eqf": 2}],
    },
]
WELDING_ESCO = "http://data.europa.eu/esco/skill/a5e5e6a4-9c3b-4e2d-8f3c-8b6a0f1f2d3e"


def skill_request(skill: str, level: str, holder: Ed25519KeyPair) -> dict[str, Any]:
    return {
        "holder": {"id": holder.controller, "name": "Pieter Jansen"},
        "skill": skill,
        "level": level,
        "assessment": {
            "method": "practical",
            "date": "2026-02-27",
            "assessor": {"name": "J. de Vries", "qualification": "IWI-C welding inspector"},
            "body": {"name": "Lasinstituut Oost"},
            "narrative": "Three test pieces; visual and macro inspection passed.",
        },
    }
