"""skillcred issue-batch: a whole class from a CSV — 10,000 rows in one run with a bad row
reported by its line number, a re-run that issues nothing new, and the progress bar."""

from __future__ import annotations

import csv
import json
import os
import pty
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.support.processes import SKILLCRED, clean_environment
from tests.support.service import MASTER_KEY

EXAMPLES = REPO_ROOT / "examples"


def environment(workdir: Path) -> dict[str, str]:
    return clean_environment(
        SKILLCRED_DATA_DIR=str(workdir / "data"), SKILLCRED_MASTER_KEY=MASTER_KEY
    )


def skillcred(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SKILLCRED, *args],
        cwd=workdir,
        env=environment(workdir),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def prepared(workdir: Path) -> None:
    assert (
        skillcred(
            workdir, "providers", "create", "--slug", "lasschool", "--name", "Lasschool Twente"
        ).returncode
        == 0
    )
    added = skillcred(
        workdir, "skills", "add", "--provider", "lasschool", str(EXAMPLES / "skill-definition.json")
    )
    assert added.returncode == 0, added.stderr


def test_the_example_csv_issues_and_verifies(tmp_path: Path) -> None:
    prepared(tmp_path)
    done = skillcred(
        tmp_path,
        "issue-batch",
        "--provider",
        "lasschool",
        str(EXAMPLES / "results.csv"),
        "--out",
        "issued",
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["issued"] == 3 and report["failed"] == 0
    files = sorted((tmp_path / "issued").glob("*.json"))
    assert len(files) == 3
    verified = skillcred(tmp_path, "verify", str(files[0]))
    assert verified.returncode == 0, verified.stdout
    assert json.loads(verified.stdout)["summary"]["verdict"] == "valid"


@pytest.mark.slow
def test_ten_thousand_rows_with_a_bad_one_and_a_rerun(tmp_path: Path) -> None:
    prepared(tmp_path)
    results = tmp_path / "class.csv"
    with results.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "holder_email",
                "skill",
                "level",
                "assessment_method",
                "assessment_date",
                "assessor_name",
            ]
        )
        for number in range(10_000):
            level = "nope" if number == 4_321 else ("basic", "independent", "expert")[number % 3]
            writer.writerow(
                [
                    f"worker{number}@example.nl",
                    "mig-fillet",
                    level,
                    "practical",
                    "2026-02-27",
                    "J. de Vries",
                ]
            )
    first = skillcred(
        tmp_path, "issue-batch", "--provider", "lasschool", str(results), "--out", "issued"
    )
    assert first.returncode == 1  # one row failed
    report = json.loads(first.stdout)
    assert (report["rows"], report["issued"], report["failed"]) == (10_000, 9_999, 1)
    assert report["failures"][0]["line"] == 4_323  # header is line 1, row 0 is line 2
    assert "level: 'nope'" in report["failures"][0]["error"]
    assert "class.csv:4323: level: 'nope'" in first.stderr
    assert len(list((tmp_path / "issued").glob("*.json"))) == 9_999
    print(f"\n10,000-row batch: {report['rowsPerSecond']} rows/s ({report['seconds']} s)")

    again = skillcred(tmp_path, "issue-batch", "--provider", "lasschool", str(results))
    rerun = json.loads(again.stdout)
    assert (rerun["issued"], rerun["alreadyIssued"], rerun["failed"]) == (0, 9_999, 1)


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    prepared(tmp_path)
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [SKILLCRED, "issue-batch", "--provider", "lasschool", str(EXAMPLES / "results.csv")],
        cwd=tmp_path,
        env=environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=terminal,
    )
    stdout, _ = process.communicate(timeout=120)
    os.close(terminal)
    shown = b""
    try:
        while chunk := os.read(controller, 4096):
            shown += chunk
    except OSError:
        pass
    os.close(controller)
    assert process.returncode == 0
    assert b"3/3 rows" in shown and b"[######" in shown
    assert json.loads(stdout)["issued"] == 3
