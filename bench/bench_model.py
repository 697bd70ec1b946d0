"""The generated project's default model against the template's earlier one, side by side in one run.

Until template 0.2.0 the binary project trained a 200-tree random forest (depth 8, leaves of at least 5,
numbers scaled, categories one-hot encoded); its one-row predict capped serving. Template 0.2.0 trains
scikit-learn's HistGradientBoosting per task (missing values and categories natively). This script fits both
on the same training split of a rendered project, with the project's own interpreter, and reports:

- the one-row `predict_proba` latency (p50, p99) of each, alternating calls on the same rows and on one
  thread, as the service predicts a lone request (`task.predict_on_one_thread`);
- the holdout metrics of each on the project's test split (ROC AUC and accuracy at the project's threshold).

The forest gets median / most-frequent imputation in front (the 0.2.0 example data has missing values, which
the old pipeline never saw); otherwise it is the old `build_model` with the old params. Usage:

    XDG_DATA_HOME=/tmp/xdg uv run scaffold new --no-input -o /tmp/bench-model
    (cd /tmp/bench-model/customer-churn && env -u VIRTUAL_ENV uv sync && env -u VIRTUAL_ENV uv run dvc repro)
    uv run python bench/bench_model.py /tmp/bench-model/customer-churn --write-docs
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from _common import idle_share, wait_for_quiet

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
START, END = "<!-- bench_model:start -->", "<!-- bench_model:end -->"

# Run by the project's interpreter: fit both models, time one-row predictions alternately, score the holdout.
MEASURE = r"""
import json, sys, time
from dataclasses import asdict
import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from {package} import task
from {package}.config import load_section
from {package}.features import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES, TARGET, TASK
from {package}.paths import model_frames
from {package}.stages import train

if TASK != "binary":
    sys.exit("the earlier forest was binary only: render the default (binary) project")
calls = int(sys.argv[1])
frames = model_frames()
training, test = pd.read_csv(frames.train), pd.read_csv(frames.test)
params = load_section("train", train.TrainParams)

started = time.perf_counter()
boosted = train.run(training, params)
boosted_fit = time.perf_counter() - started

features = ColumnTransformer([
    ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), list(NUMERIC_FEATURES)),
    ("categorical", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                  OneHotEncoder(handle_unknown="ignore")), list(CATEGORICAL_FEATURES)),
])
forest = Pipeline([("features", features), ("classifier", RandomForestClassifier(
    n_estimators=200, max_depth=8, min_samples_leaf=5, random_state=params.seed, n_jobs=-1))])
started = time.perf_counter()
forest.fit(training[list(FEATURES)], training[TARGET])
forest_fit = time.perf_counter() - started
forest.set_params(classifier__n_jobs=1)  # as the earlier template served it

task.predict_on_one_thread()
rows = [test[list(FEATURES)].iloc[[i % len(test)]] for i in range(calls)]
timings = {{"forest": [], "boosted": []}}
for row in rows[:20]:  # warm-up
    forest.predict_proba(row); boosted.predict_proba(row)
for i, row in enumerate(rows):
    order = [("forest", forest), ("boosted", boosted)][:: 1 if i % 2 else -1]
    for name, model in order:
        started = time.perf_counter()
        model.predict_proba(row)
        timings[name].append(time.perf_counter() - started)

actual = test[TARGET].to_numpy()
positive = list(forest.classes_).index(1)
result = {{"sklearn": sklearn.__version__, "rows": [len(training), len(test)], "threshold": params.threshold}}
for name, model, fit in (("forest", forest, forest_fit), ("boosted", boosted, boosted_fit)):
    probability = model.predict_proba(test[list(FEATURES)])[:, positive]
    result[name] = {{
        "p50_ms": float(np.percentile(timings[name], 50) * 1000),
        "p99_ms": float(np.percentile(timings[name], 99) * 1000),
        "fit_s": fit,
        "roc_auc": float(roc_auc_score(actual, probability)),
        "accuracy": float(accuracy_score(actual, (probability >= params.threshold).astype(int))),
    }}
print(json.dumps(result))
"""


def measure(project: Path, calls: int) -> dict[str, Any]:
    package = re.search(r'^name = "([^"]+)"', (project / "pyproject.toml").read_text(), re.M)
    assert package, "no project name in pyproject.toml"
    python = project / ".venv" / "bin" / "python"
    code = MEASURE.format(package=package.group(1).replace("-", "_"))
    done = subprocess.run([python, "-c", code, str(calls)], cwd=project, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"the measurement failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.splitlines()[-1]))


def report(figures: dict[str, Any], calls: int, idle: tuple[float, float]) -> str:
    forest, boosted = figures["forest"], figures["boosted"]
    ratio = boosted["p50_ms"] / forest["p50_ms"]
    better = boosted["roc_auc"] >= forest["roc_auc"]
    lines = [
        f"Measured {date.today()} on {platform.system()} {platform.machine()}, Python "
        f"{platform.python_version()}, scikit-learn {figures['sklearn']}; CPUs idle {idle[0]:.0%} before, "
        f"{idle[1]:.0%} after. The default (binary) project's splits: {figures['rows'][0]} training rows, "
        f"{figures['rows'][1]} held out. {calls} one-row `predict_proba` calls per model on one thread, "
        "alternating between the two models on the same rows.",
        "",
        "| model | one-row p50 | one-row p99 | fit | holdout ROC AUC | holdout accuracy |",
        "|---|---|---|---|---|---|",
    ]
    for name, values in (
        ("random forest, 200 trees (template 0.1)", forest),
        ("HistGradientBoosting (0.2)", boosted),
    ):
        lines.append(
            f"| {name} | {values['p50_ms']:.2f} ms | {values['p99_ms']:.2f} ms | {values['fit_s']:.1f} s "
            f"| {values['roc_auc']:.4f} | {values['accuracy']:.4f} |"
        )
    lines += [
        "",
        f"**One-row p50: {ratio:.0%} of the forest's** (target: at most 50 %): "
        f"{'pass' if ratio <= 0.5 else 'FAIL'}. "
        f"**Holdout ROC AUC {'equal or better' if better else 'worse'}**: {'pass' if better else 'FAIL'}.",
    ]
    return "\n".join(lines)


def write_docs(section: str) -> None:
    text = DOCS.read_text()
    block = f"{START}\n{section}\n{END}"
    if START in text:
        text = re.sub(f"{re.escape(START)}.*?{re.escape(END)}", lambda _: block, text, flags=re.S)
    else:
        text = text.replace("## Serving\n", f"## The default model\n\n{block}\n\n## Serving\n", 1)
    DOCS.write_text(text)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path, help="a rendered default project after `dvc repro`")
    parser.add_argument("--calls", type=int, default=1000, help="one-row predictions per model")
    parser.add_argument("--wait-quiet", type=float, default=600, help="seconds to wait for an idle machine")
    parser.add_argument("--write-docs", action="store_true", help="refresh docs/benchmarks.md's section")
    args = parser.parse_args(argv)
    before = wait_for_quiet(args.wait_quiet)
    figures = measure(args.project, args.calls)
    section = report(figures, args.calls, (before, idle_share(5)))
    print(section)
    if args.write_docs:
        write_docs(section)


if __name__ == "__main__":
    main()
