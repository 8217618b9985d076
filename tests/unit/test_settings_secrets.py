"""Secrets from files (issue 14, operable): SKILLCRED_SECRETS_DIR holds one file per
secret setting, as Docker and Kubernetes mount them; the environment wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillcred.settings import load_settings


def test_secrets_are_read_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("SKILLCRED_"):
            monkeypatch.delenv(name)
    (tmp_path / "skillcred_admin_token").write_text("a" * 32)
    (tmp_path / "skillcred_auditor_token").write_text("b" * 32)
    monkeypatch.setenv("SKILLCRED_SECRETS_DIR", str(tmp_path))
    settings = load_settings(data_dir=tmp_path / "data")
    assert settings.admin_token is not None
    assert settings.admin_token.get_secret_value() == "a" * 32
    assert settings.auditor_token is not None
    monkeypatch.setenv("SKILLCRED_ADMIN_TOKEN", "c" * 32)
    assert load_settings().admin_token.get_secret_value() == "c" * 32  # type: ignore[union-attr]
