"""A SoftHSM2 token for the PKCS#11 key store tests (Debian package ``softhsm2``, which
./scripts/test installs when missing and it may use apt).

One token per test session, in a folder of its own: SoftHSM reads its configuration
(``SOFTHSM2_CONF``) and sees the tokens there when the library is first loaded, and a
process loads it once. Without SoftHSM2 the tests are skipped locally, and fail under CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.support.reference import require

MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)
PIN = "4711-test-pin"


@dataclass(frozen=True, slots=True)
class SoftHsm:
    module: str
    token_label: str
    pin: str
    config: Path

    def settings(self) -> dict[str, str]:
        """Settings (as keyword overrides) for a service that uses this token."""
        return {
            "pkcs11_module": self.module,
            "pkcs11_token_label": self.token_label,
            "pkcs11_pin": self.pin,
        }

    def environment(self) -> dict[str, str]:
        return {
            "SOFTHSM2_CONF": str(self.config),
            "SKILLCRED_PKCS11_MODULE": self.module,
            "SKILLCRED_PKCS11_TOKEN_LABEL": self.token_label,
            "SKILLCRED_PKCS11_PIN": self.pin,
        }


def softhsm_token(folder: Path) -> SoftHsm:
    module = next((m for m in MODULE_CANDIDATES if Path(m).exists()), None)
    util = shutil.which("softhsm2-util")
    require(
        module is not None and util is not None,
        "SoftHSM2 is not installed (apt-get install softhsm2; ./scripts/test does it as root)",
    )
    assert module is not None and util is not None
    tokens = folder / "tokens"
    tokens.mkdir(parents=True)
    config = folder / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    label = f"skillcred-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "SOFTHSM2_CONF": str(config)}
    subprocess.run(
        [util, "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", "so-" + PIN],
        env=env,
        check=True,
        capture_output=True,
    )
    # This process loads the library with this configuration (on first use).
    os.environ["SOFTHSM2_CONF"] = str(config)
    return SoftHsm(module, label, PIN, config)
