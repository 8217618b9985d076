"""The command line as a user runs it: keygen, sign, verify (a real subprocess)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import load_vector, vector_path

CREATED = "2023-02-24T23:36:38Z"


# The console script installed beside this interpreter, as a user would run it.
SKILLCRED = str(Path(sys.executable).with_name("skillcred"))


def skillcred(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SKILLCRED, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("suite", "signed"),
    [("eddsa-rdfc-2022", "signedDataInt.json"), ("eddsa-jcs-2022", "signedJCS.json")],
)
def test_sign_reproduces_the_vector_proof_value(suite: str, signed: str) -> None:
    done = skillcred(
        "sign",
        "--key",
        str(vector_path("eddsa", "keyPair.json")),
        "--cryptosuite",
        suite,
        "--created",
        CREATED,
        str(vector_path("eddsa", "unsigned.json")),
    )
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    expected = load_vector("eddsa", suite, signed)
    assert output["proof"]["proofValue"] == expected["proof"]["proofValue"]
    assert output == expected


def test_keygen_sign_verify_round_trip(tmp_path: Path) -> None:
    key_file = tmp_path / "issuer.json"
    done = skillcred("keygen", "--out", str(key_file))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    key = json.loads(key_file.read_text())
    assert set(key) >= {"publicKeyMultibase", "secretKeyMultibase", "controller", "id"}
    assert key["id"] == f"{key['controller']}#{key['publicKeyMultibase']}"

    credential: dict[str, Any] = load_vector("eddsa", "unsigned.json")
    credential["issuer"] = key["controller"]
    signed = skillcred("sign", "--key", str(key_file), "-", stdin=json.dumps(credential))
    assert signed.returncode == 0, signed.stderr
    verified = skillcred("verify", "-", stdin=signed.stdout)
    assert verified.returncode == 0, verified.stdout
    assert json.loads(verified.stdout)["verified"] is True

    tampered = json.loads(signed.stdout)
    tampered["credentialSubject"]["alumniOf"] = "Elsewhere"
    refused = skillcred("verify", "-", stdin=json.dumps(tampered))
    assert refused.returncode == 1
    result = json.loads(refused.stdout)
    assert result["verified"] is False
    assert result["errors"][0]["code"] == "PROOF_VERIFICATION_ERROR"


def test_keygen_refuses_to_overwrite(tmp_path: Path) -> None:
    key_file = tmp_path / "k.json"
    key_file.write_text("{}")
    done = skillcred("keygen", "--out", str(key_file))
    assert done.returncode == 2
    assert "refusing to overwrite" in done.stderr
    assert key_file.read_text() == "{}"


def test_presentation_sign_and_verify_with_challenge(tmp_path: Path) -> None:
    key_file = tmp_path / "holder.json"
    assert skillcred("keygen", "--out", str(key_file)).returncode == 0
    holder = json.loads(key_file.read_text())["controller"]
    issuer_file = tmp_path / "issuer.json"
    assert skillcred("keygen", "--out", str(issuer_file)).returncode == 0
    unsigned = load_vector("eddsa", "unsigned.json")
    unsigned["issuer"] = json.loads(issuer_file.read_text())["controller"]
    unsigned["credentialSubject"]["id"] = holder
    credential = skillcred("sign", "--key", str(issuer_file), "-", stdin=json.dumps(unsigned))
    assert credential.returncode == 0, credential.stderr
    vp = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder,
        "verifiableCredential": [json.loads(credential.stdout)],
    }
    signed = skillcred(
        "sign",
        "--key",
        str(key_file),
        "--purpose",
        "authentication",
        "--challenge",
        "abc",
        "--domain",
        "employer.example",
        "-",
        stdin=json.dumps(vp),
    )
    assert signed.returncode == 0, signed.stderr
    ok = skillcred(
        "verify", "--challenge", "abc", "--domain", "employer.example", "-", stdin=signed.stdout
    )
    assert ok.returncode == 0, ok.stdout
    wrong = skillcred(
        "verify", "--challenge", "xyz", "--domain", "employer.example", "-", stdin=signed.stdout
    )
    assert wrong.returncode == 1
    assert "INVALID_CHALLENGE_ERROR" in {e["code"] for e in json.loads(wrong.stdout)["errors"]}


@pytest.mark.parametrize(
    ("stdin", "message"),
    [("{", "is not JSON"), ("[1, 2]", "must be a JSON object")],
)
def test_verify_unusable_input_exits_2(stdin: str, message: str) -> None:
    done = skillcred("verify", "-", stdin=stdin)
    assert done.returncode == 2
    assert message in done.stderr


def test_sign_with_a_missing_key_file_exits_2(tmp_path: Path) -> None:
    done = skillcred(
        "sign", "--key", str(tmp_path / "nope.json"), str(vector_path("eddsa", "unsigned.json"))
    )
    assert done.returncode == 2
    assert "cannot read the key file" in done.stderr


def test_sign_refuses_a_credential_that_breaks_the_data_model(tmp_path: Path) -> None:
    credential = load_vector("eddsa", "unsigned.json")
    credential["validFrom"] = "2023-01-01 00:00:00Z"
    done = skillcred(
        "sign",
        "--key",
        str(vector_path("eddsa", "keyPair.json")),
        "-",
        stdin=json.dumps(credential),
    )
    assert done.returncode == 2
    assert "validFrom" in done.stderr and "space" in done.stderr


def test_sign_and_verify_a_skill_credential_and_a_passport_anywhere(tmp_path: Path) -> None:
    """A skill credential (the profile's example) and a passport holding it are signed and
    verified with the CLI alone, in an empty folder, with no service or database."""
    from tests.conftest import REPO_ROOT

    keys = {}
    for who in ("issuer", "worker"):
        key_file = tmp_path / f"{who}.json"
        assert skillcred("keygen", "--out", str(key_file)).returncode == 0
        keys[who] = (key_file, json.loads(key_file.read_text())["controller"])
    example = json.loads((REPO_ROOT / "examples" / "skill-credential.json").read_text())
    unsigned = {k: v for k, v in example.items() if k != "proof"}
    unsigned["issuer"] = {**unsigned["issuer"], "id": keys["issuer"][1]}
    unsigned["credentialSubject"]["id"] = keys["worker"][1]
    signed = skillcred("sign", "--key", str(keys["issuer"][0]), "-", stdin=json.dumps(unsigned))
    assert signed.returncode == 0, signed.stderr
    credential = json.loads(signed.stdout)

    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run(
        [SKILLCRED, "verify", "--offline", "-"],
        input=signed.stdout,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=empty,
        check=False,
    )
    result = json.loads(done.stdout)
    # Proof and the profile's schema hold (its contexts and schema are the shipped ones);
    # its status lists cannot be read offline: cannot check, exit 3.
    assert done.returncode == 3, result["errors"]
    assert result["verdict"] == "cannot-check"
    outcomes = {c["check"]: c["outcome"] for c in result["checks"]}
    assert outcomes["proof"] == outcomes["credentialSchema"] == "passed"
    assert outcomes["status"] == "not-performed"

    passport = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": keys["worker"][1],
        "verifiableCredential": [credential],
    }
    options = ("--challenge", "n-7", "--domain", "employer.example")
    signed_passport = skillcred(
        "sign",
        "--key",
        str(keys["worker"][0]),
        "--purpose",
        "authentication",
        *options,
        "-",
        stdin=json.dumps(passport),
    )
    assert signed_passport.returncode == 0, signed_passport.stderr
    done = subprocess.run(
        [SKILLCRED, "verify", "--offline", *options, "-"],
        input=signed_passport.stdout,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=empty,
        check=False,
    )
    result = json.loads(done.stdout)
    assert done.returncode == 3, result["errors"]
    holder_proof = next(c for c in result["checks"] if c["check"] == "holderProof")
    assert holder_proof["outcome"] == "passed"
    binding = next(c for c in result["checks"] if c["check"] == "holderBinding")
    assert binding["outcome"] == "passed" and binding["forThisRequest"] is True
    assert result["skills"][0]["skill"] == "MIG/MAG fillet welding"
    assert list(empty.iterdir()) == []
