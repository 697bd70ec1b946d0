"""The s3 remote option works against a real S3 API: moto's server on 127.0.0.1 stands in for AWS.

The project is rendered with `dvc_remote=s3`, pushes its data, and a fresh clone pulls it back; the only
settings added are the ones a user of MinIO or another S3-compatible store adds: the endpoint, in
`.dvc/config.local` (never committed), and credentials in the environment.
"""

from __future__ import annotations

import hashlib
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conftest import git, render_into

BUCKET = "customer-churn-dvc-storage"  # the default the s3 option derives from the project slug


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def s3_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto in server mode with the bucket created, and fake credentials in the environment only."""
    import boto3
    from moto.server import ThreadedMotoServer

    credentials = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),  # the user's ~/.aws plays no part
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
    }
    for key, value in credentials.items():
        monkeypatch.setenv(key, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


def run(project: Path, *command: str) -> str:
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_s3_remote_round_trip(tmp_path: Path, s3_endpoint: str) -> None:
    import boto3

    project = render_into(tmp_path, {"dvc_remote": "s3"})
    config = (project / ".dvc/config").read_text()
    assert f"url = s3://{BUCKET}" in config
    for secret in ("access_key", "secret", "session_token", "credentialpath", "profile", "testing"):
        assert secret not in config, f".dvc/config holds {secret!r}"

    run(project, "uv", "sync", "--locked", "--quiet")
    run(project, "uv", "run", "dvc", "remote", "modify", "--local", "s3", "endpointurl", s3_endpoint)
    assert (project / ".dvc/config").read_text() == config  # the endpoint went to config.local
    git(project, "commit", "--quiet", "-m", "Start from the scaffold template")
    assert "config.local" not in git(project, "ls-files", ".dvc")
    run(project, "uv", "run", "dvc", "push", "data/raw/churn.csv")

    pointer = yaml.safe_load((project / "data/raw/churn.csv.dvc").read_text())["outs"][0]
    assert pointer["md5"] == md5(project / "data/raw/churn.csv")
    stored = boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(Bucket=BUCKET)
    keys = [item["Key"] for item in stored.get("Contents", [])]
    assert f"files/md5/{pointer['md5'][:2]}/{pointer['md5'][2:]}" in keys

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(project), str(clone))
    assert not (clone / "data/raw/churn.csv").exists()
    run(clone, "uv", "sync", "--locked", "--quiet")
    run(clone, "uv", "run", "dvc", "remote", "modify", "--local", "s3", "endpointurl", s3_endpoint)
    run(clone, "uv", "run", "dvc", "pull", "data/raw/churn.csv")  # the pipeline has not run: no outputs yet
    assert md5(clone / "data/raw/churn.csv") == pointer["md5"]
    assert (clone / "data/raw/churn.csv").read_bytes() == (project / "data/raw/churn.csv").read_bytes()
    assert "in sync" in run(clone, "uv", "run", "dvc", "status", "--cloud", "data/raw/churn.csv.dvc")
