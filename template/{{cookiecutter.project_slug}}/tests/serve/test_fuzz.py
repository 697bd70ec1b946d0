"""Property: whatever a client sends to /predict, the answer is never a server error."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from {{ cookiecutter.package_name }}.features import BOOLEAN_FEATURES, CATEGORIES, FEATURES

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=5,
)
plausible_values = {
    name: st.sampled_from(CATEGORIES[name]) | json_values
    if name in CATEGORIES
    else st.booleans() | json_values
    if name in BOOLEAN_FEATURES
    else st.integers() | st.floats() | st.none()
    for name in FEATURES
}
# Nearly right records (every feature, plausible values) reach the model; arbitrary JSON probes the edges.
records = st.fixed_dictionaries(plausible_values) | st.dictionaries(
    st.sampled_from(FEATURES) | st.text(max_size=10), json_values, max_size=len(FEATURES) + 2
)
bodies = records | st.lists(records, max_size=7) | json_values


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_predict_never_answers_5xx(client: TestClient, body: Any) -> None:
    response = client.post(
        "/predict", content=json.dumps(body, allow_nan=True), headers={"content-type": "application/json"}
    )
    assert response.status_code in {200, 413, 422}, response.text
