"""Demo key pair and ``python -m etl.simulator qianhub`` end to end."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import msgspec
import pytest

from etl.qianhub.auth import QianhubSigner, verify
from etl.simulator import ensure_demo_keypair
from tests.simulator.ctrl_c import ctrl_c_works

REPO = Path(__file__).resolve().parents[2]


def test_demo_keypair_is_created_once_with_private_permissions(tmp_path: Path) -> None:
    directory = tmp_path / "simulator"
    keys = ensure_demo_keypair(directory, "demo-app")
    assert keys.private_key_file == (directory / "demo-app.private.pem").resolve()
    assert stat.S_IMODE(keys.private_key_file.stat().st_mode) == 0o600
    pem = keys.private_key_file.read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8
    assert keys.public_key.key_size == 1024
    assert keys.public_key_file.read_bytes() == keys.public_key_pem
    assert "BEGIN" not in repr(keys)

    again = ensure_demo_keypair(directory, "demo-app")
    assert keys.private_key_file.read_bytes() == pem
    assert again.public_key.public_numbers() == keys.public_key.public_numbers()

    signer = QianhubSigner.from_file("demo-app", keys.private_key_file)
    assert verify(again.public_key, b"payload", signer.sign(b"payload"))
    other = ensure_demo_keypair(directory, "other-app")
    assert other.public_key.public_numbers() != keys.public_key.public_numbers()


def test_demo_keypair_refuses_path_like_app_ids(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="app id"):
        ensure_demo_keypair(tmp_path, "../escape")


def test_cli_serves_and_prints_the_loader_settings(tmp_path: Path) -> None:
    env = {**os.environ, "POS_WAREHOUSE_HOME": str(tmp_path)}
    command = [sys.executable, "-m", "etl.simulator", "qianhub", "--port", "0", "--shops", "2"]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_works,
    )
    try:
        assert process.stdout is not None
        settings: dict[str, str] = {}
        while "QIANHUB_PRIVATE_KEY_FILE" not in settings:
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else "simulator exited"
            name, sep, value = line.strip().partition("=")
            if sep and name.startswith("QIANHUB_"):
                settings[name] = value
        assert settings["QIANHUB_GATEWAY_URL"].startswith("http://127.0.0.1:")
        assert settings["QIANHUB_APP_ID"] == "demo-app"
        key_file = Path(settings["QIANHUB_PRIVATE_KEY_FILE"])
        assert key_file == (tmp_path / "simulator" / "demo-app.private.pem").resolve()

        signer = QianhubSigner.from_file(settings["QIANHUB_APP_ID"], key_file)
        raw = msgspec.json.encode({"version": "1.0", "action": "qianhub.agent.list-shop"})
        response = httpx.post(
            settings["QIANHUB_GATEWAY_URL"], content=raw, headers=signer.headers(raw), timeout=10
        )
        assert response.status_code == 200
        assert len(response.json()["shops"]) == 2
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "stopped after 1 requests" in out


def test_cli_rejects_a_bad_fault_spec() -> None:
    command = [sys.executable, "-m", "etl.simulator", "qianhub", "--faults", "5xx=2"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "within 0..1" in result.stderr
