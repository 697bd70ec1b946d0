"""The alerting rules and the scrape as prometheus-operator objects, for a cluster (`make rules` writes them).

On Kubernetes the team's Prometheus is usually run by prometheus-operator (kube-prometheus-stack): it loads
rules from PrometheusRule objects and finds what to scrape from ServiceMonitor objects, not from files. So
`make rules` writes k8s/base/prometheusrule.yaml with exactly the groups of monitoring/prometheus/rules.yml,
and k8s/base/servicemonitor.yaml, which scrapes /metrics on the serve Service's `http` port and names the
job as the local scrape config does (the contract's model name), since the alerts select on it. Both are in
k8s/base/kustomization.yaml; `scaffold check` (MC201) says when the PrometheusRule no longer holds the
contract's thresholds. Standard library and PyYAML only, like rules.py: the post-generation hook runs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from . import rules

API_VERSION = "monitoring.coreos.com/v1"
PROMETHEUS_RULE_FILE = "prometheusrule.yaml"
SERVICE_MONITOR_FILE = "servicemonitor.yaml"
KUSTOMIZATION_FILE = "kustomization.yaml"
SERVICE_PORT = "http"  # the port name of k8s/base/service.yaml
SCRAPE_INTERVAL = "15s"  # as monitoring/prometheus/prometheus.yml scrapes: the rules' 5m windows need it
OBJECT_NAME = "serve"  # the Deployment, Service and autoscaler are named so too


def app_labels(kustomization: Path) -> dict[str, str]:
    """The labels kustomize puts on every object (`labels` with `includeSelectors`): the Service has them.

    Read from the kustomization rather than repeated: kustomize adds them to the selectors of the kinds it
    knows, not to a ServiceMonitor's, so the ServiceMonitor must state them itself.
    """
    document = yaml.safe_load(kustomization.read_text(encoding="utf-8")) or {}
    labels: dict[str, str] = {}
    for entry in document.get("labels") or []:
        if entry.get("includeSelectors"):
            labels.update({str(key): str(value) for key, value in entry["pairs"].items()})
    return labels


def prometheus_rule(rules_document: dict[str, Any]) -> dict[str, Any]:
    """rules.yml's groups, unchanged, as the `spec` of a PrometheusRule."""
    return {
        "apiVersion": API_VERSION,
        "kind": "PrometheusRule",
        "metadata": {"name": OBJECT_NAME},
        "spec": rules_document,
    }


def service_monitor(limits: rules.Thresholds, labels: dict[str, str]) -> dict[str, Any]:
    """Scrape every pod behind the Service (stable and canary); the job label is the contract's model name.

    prometheus-operator names the job after the Service (`serve`); the alerts select `job="<model name>"`,
    as in the local scrape config, so a relabeling sets it (the operator applies ours after its own).
    """
    return {
        "apiVersion": API_VERSION,
        "kind": "ServiceMonitor",
        "metadata": {"name": OBJECT_NAME},
        "spec": {
            "selector": {"matchLabels": labels},
            "endpoints": [
                {
                    "port": SERVICE_PORT,
                    "path": "/metrics",
                    "interval": SCRAPE_INTERVAL,
                    "relabelings": [{"action": "replace", "targetLabel": "job", "replacement": limits.job}],
                }
            ],
        },
    }


def render(contract: dict[str, Any], kustomization: Path) -> dict[str, str]:
    """The two manifests' names and texts for a parsed contract and the base kustomization."""
    limits = rules.thresholds(contract)
    return {
        PROMETHEUS_RULE_FILE: rules.dump(prometheus_rule(rules.rules_document(limits))),
        SERVICE_MONITOR_FILE: rules.dump(service_monitor(limits, app_labels(kustomization))),
    }


def write(contract: dict[str, Any], base: Path) -> list[Path]:
    """Write both manifests into `base` (k8s/base, holding the kustomization); the paths written."""
    written = []
    for name, text in render(contract, base / KUSTOMIZATION_FILE).items():
        (base / name).write_text(text, encoding="utf-8")
        written.append(base / name)
    return written
