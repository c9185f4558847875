"""fpga-compile's report.json tells the truth about every check, and report.html shows the same."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
MODEL = REPO / "examples/models/lenet5_int8.onnx"


def compile_lenet(out: Path, *args: str, env: dict | None = None) -> dict:
    done = subprocess.run(
        [str(BIN / "fpga-compile"), str(MODEL), "-o", str(out), "--frames", "2", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((out / "report.json").read_text())["design"]  # the deterministic part


def checks(report: dict) -> dict[str, dict]:
    return {check["name"]: check for check in report["checks"]}


def test_no_csim_is_skipped_not_passed(tmp_path):
    report = compile_lenet(tmp_path / "out", "--no-csim")
    assert checks(report)["csim"] == {"name": "csim", "status": "skipped", "reason": "--no-csim"}
    assert report["csim_passed"] is None
    assert checks(report)["equivalence"]["status"] == "passed"
    page = (tmp_path / "out/report.html").read_text()
    assert "<td>csim</td><td class=''>skipped</td><td>--no-csim</td>" in page


def test_missing_compiler_is_skipped_with_its_reason(tmp_path):
    env = {**os.environ, "PATH": str(BIN), "CXX": "no-such-g++"}
    report = compile_lenet(tmp_path / "out", env=env)
    csim = checks(report)["csim"]
    assert csim["status"] == "skipped" and "g++" in csim["reason"]
    assert report["csim_passed"] is None
