"""Personal features (features.py's PERSONAL_FEATURES) never reach the inference log raw: with a key they are
logged as keyed hashes (joinable, not reversible), without one they are dropped."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.features import FEATURES, PERSONAL_FEATURES
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.personal import PersonalData, hash_key_from_env
from {{ cookiecutter.package_name }}.serve.settings import Settings

KEY = b"a test key of 32 bytes, not used"
pytestmark = pytest.mark.skipif(not PERSONAL_FEATURES, reason="the feature spec marks no feature personal")


def served_log(settings: Settings, records: list[dict[str, Any]], key: bytes | None) -> list[dict[str, Any]]:
    """The inference log's entries after the app answered each record, then a batch of them all."""
    with TestClient(create_app(dataclasses.replace(settings, inference_log_hash_key=key))) as client:
        for record in records:
            assert client.post("/predict", json=record).status_code == 200
        assert client.post("/predict", json=records[:5]).status_code == 200
    return [json.loads(line) for line in settings.inference_log.read_text().splitlines()]


def leaves(value: Any) -> Iterator[Any]:
    """Every scalar of a JSON value."""
    if isinstance(value, dict | list):
        for item in value.values() if isinstance(value, dict) else value:
            yield from leaves(item)
    else:
        yield value


def test_every_personal_feature_is_a_feature() -> None:
    assert set(PERSONAL_FEATURES) <= set(FEATURES)


def test_no_log_line_holds_a_personal_value_raw(settings: Settings, records: list[dict[str, Any]]) -> None:
    entries = served_log(settings, records, KEY)
    assert len(entries) == len(records) + 5
    checked = 0
    for entry, record in zip(entries, records + records[:5], strict=True):
        # What the entry holds beyond the request's other features, the answer and the service's own fields.
        held = set(leaves([{name: entry["features"][name] for name in PERSONAL_FEATURES}, entry["personal"]]))
        raws = [record[name] for name in PERSONAL_FEATURES if record[name] is not None]
        assert not any(raw in held or str(raw) in held for raw in raws)
        checked += len(raws)
        others = [name for name in FEATURES if name not in PERSONAL_FEATURES]
        assert {name: entry["features"][name] for name in others} == {name: record[name] for name in others}
        assert entry["personal"] == {"features": list(PERSONAL_FEATURES), "as": "hmac-sha256"}
    assert checked  # the records had personal values to hide


def test_a_keyed_hash_joins_the_same_value_and_is_no_plain_hash(
    settings: Settings, records: list[dict[str, Any]]
) -> None:
    entries = served_log(settings, records, KEY)
    for name in PERSONAL_FEATURES:
        hashes: dict[Any, set[str]] = {}
        for entry, record in zip(entries, records + records[:5], strict=True):
            if record[name] is not None:
                hashes.setdefault(json.dumps(record[name]), set()).add(entry["features"][name])
        assert hashes and all(len(seen) == 1 for seen in hashes.values())  # one person, one hash
        assert all(re.fullmatch(r"[0-9a-f]{64}", logged) for seen in hashes.values() for logged in seen)
        assert len({next(iter(seen)) for seen in hashes.values()}) == len(hashes)  # two values, two hashes
        for raw, seen in hashes.items():
            plain = {hashlib.sha256(text.encode()).hexdigest() for text in (raw, str(json.loads(raw)))}
            assert not seen & plain  # an unkeyed sha256 of a low-entropy value is reversed by trying them all
            other_key = PersonalData(PERSONAL_FEATURES, b"another key of at least 16 bytes")
            assert other_key.pseudonym(json.loads(raw)) not in seen


def test_without_a_key_personal_values_are_dropped(settings: Settings, records: list[dict[str, Any]]) -> None:
    entries = served_log(settings, records, None)
    assert all(entry["features"][name] is None for entry in entries for name in PERSONAL_FEATURES)
    marker = {"features": list(PERSONAL_FEATURES), "as": "dropped"}
    assert all(entry["personal"] == marker for entry in entries)


def test_the_key_comes_from_the_environment_or_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("INFERENCE_LOG_HASH_KEY", raising=False)
    monkeypatch.delenv("INFERENCE_LOG_HASH_KEY_FILE", raising=False)
    assert hash_key_from_env() is None
    secret = tmp_path / "hash-key"
    secret.write_text(KEY.decode() + "\n")
    monkeypatch.setenv("INFERENCE_LOG_HASH_KEY_FILE", str(secret))
    assert hash_key_from_env() == KEY
    monkeypatch.setenv("INFERENCE_LOG_HASH_KEY", "short")
    with pytest.raises(ProjectError, match=r"INFERENCE_LOG_HASH_KEY: .* 16 characters or more"):
        hash_key_from_env()
    monkeypatch.delenv("INFERENCE_LOG_HASH_KEY")
    monkeypatch.setenv("INFERENCE_LOG_HASH_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(ProjectError, match="absent: INFERENCE_LOG_HASH_KEY_FILE cannot be read"):
        hash_key_from_env()
