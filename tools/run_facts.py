"""The run-to-run facts of a report.json (where, when, how long, which versions): kept apart from the
deterministic design report, so that two runs of the same compile compare equal on the latter."""

from __future__ import annotations

import platform
import time
from pathlib import Path


def run_facts(model: Path, out: Path, timings: dict[str, float]) -> dict:
    """What differs from run to run: where, when, how long, with which versions."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for package in ("fpga-opt", "xdsl", "numpy", "onnx"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "model_path": str(model.absolute()),
        "output": str(out.absolute()),
        "seconds": {step: round(value, 3) for step, value in timings.items()},
        "versions": versions,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
