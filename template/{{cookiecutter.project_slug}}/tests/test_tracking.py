"""An unreachable tracking server is found out in seconds, with one line naming it."""

from __future__ import annotations

import time

import pytest

from {{ cookiecutter.package_name }}.tracking import TrackingUnavailable, require_reachable


def test_a_closed_port_is_named_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(
        TrackingUnavailable, match=r"tracking server at http://127\.0\.0\.1:9 cannot be reached"
    ):
        require_reachable("http://127.0.0.1:9", timeout=2)
    assert time.monotonic() - started < 10


def test_a_local_store_needs_no_server(tmp_path: object) -> None:
    require_reachable("sqlite:///mlflow.db")
    require_reachable("file:///tmp/mlruns")
