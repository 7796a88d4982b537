"""A self-signed certificate for tests of the TLS listener, made with the `openssl` command."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def self_signed(directory: Path, common_name: str = "localhost") -> tuple[Path, Path]:
    """(certificate, key) PEM files valid for 127.0.0.1, ::1 and localhost for a day."""
    if shutil.which("openssl") is None:
        pytest.fail("the openssl command is missing: apt-get install openssl")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-nodes", "-days", "1",
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-keyout", str(key), "-out", str(cert),
            "-subj", f"/CN={common_name}",
            "-addext", "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key
