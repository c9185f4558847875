"""Build and run the C simulation of an emitted project (g++ and the Vitis HLS API headers).

The headers (`ap_int.h`, `hls_stream.h`, ...) come from Vitis HLS when
`XILINX_HLS` is set, otherwise from the Apache-2.0 copy that the `hls4ml`
wheel carries under `hls4ml/templates/vivado/ap_types` (install it without its
`[csim]` extra: `pip install 'fpga-opt[csim]'`).  The headers are
never copied into this repository or the emitted project.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from fpga_opt.dialects.progress import DELAY_S, progress

INSTALL_HINT = "pip install 'fpga-opt[csim]' (the hls4ml wheel's headers), or install Vitis HLS and set XILINX_HLS"


def find_ap_types() -> Path | None:
    """The folder holding ap_int.h: $XILINX_HLS/include, else hls4ml's ap_types, else None."""
    vitis = os.environ.get("XILINX_HLS")
    if vitis and (Path(vitis) / "include" / "ap_int.h").is_file():
        return Path(vitis) / "include"
    try:
        spec = importlib.util.find_spec("hls4ml")  # does not import hls4ml (its dependencies may be absent)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "templates" / "vivado" / "ap_types"
    return folder if (folder / "ap_int.h").is_file() else None


def have_compiler() -> bool:
    return shutil.which(os.environ.get("CXX", "g++")) is not None and shutil.which("make") is not None


@dataclass
class CsimResult:
    """What `make csim` did: the verdict line, timings and the full output."""

    passed: bool
    verdict: str
    build_seconds: float
    run_seconds: float
    output: str


def run_csim(project: str | Path, *, jobs: int | None = None, timeout: float = 1800, opt: str = "-O1") -> CsimResult:
    """`make build` then `make csim` in `project`; never raises for a failing build or test."""
    project = Path(project)
    jobs = jobs or max(1, min(8, os.cpu_count() or 1))
    env = dict(os.environ)
    headers = find_ap_types()
    if headers is not None and "AP_TYPES" not in env:
        env["AP_TYPES"] = str(headers)
    start = time.perf_counter()
    started = time.time()
    products = [project / "build" / name for name in BUILD_PRODUCTS]

    def made() -> int:
        return sum(1 for p in products if p.is_file() and p.stat().st_mtime >= started - 1)

    build = _make(
        ["-j", str(jobs), "build", f"OPT={opt}"], project, env, timeout, "csim: g++ build", len(products), made
    )
    built = time.perf_counter()
    if build.returncode != 0:
        text = build.stdout + build.stderr
        first = next((line for line in text.splitlines() if "error" in line.lower()), text.strip()[:200])
        return CsimResult(False, f"build failed: {first.strip()}", built - start, 0.0, text)
    run = _make(["csim", f"OPT={opt}"], project, env, timeout, "csim: run")
    done = time.perf_counter()
    text = run.stdout + run.stderr
    verdict = next((line for line in text.splitlines() if re.match(r"(PASS|FAIL)", line)), text.strip()[-200:])
    return CsimResult(run.returncode == 0 and verdict.startswith("PASS"), verdict, built - start, done - built, text)


# What `make build` makes (backend/hls/emit.py's Makefile): the progress bar counts them.
BUILD_PRODUCTS = ("top.o", "weights.o", "tb.o", "csim")


def _make(
    targets: list[str], project: Path, env: dict, timeout: float, what: str, total: int | None = None, done=None
) -> subprocess.CompletedProcess:
    """`make -s targets` in `project`, its output captured, with a progress bar (steps `done()` of `total`, or
    the time elapsed) while it runs; raises subprocess.TimeoutExpired after `timeout` seconds."""
    command = ["make", "-s", *targets]
    begun = time.monotonic()
    deadline = begun + timeout
    with (
        progress(what, total=total, unit=" files" if total else "") as bar,
        subprocess.Popen(
            command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        ) as process,
    ):
        while True:
            try:
                out, err = process.communicate(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    process.kill()
                    process.communicate()
                    raise subprocess.TimeoutExpired(command, timeout) from None
                if done is not None:
                    bar.update(max(0, done() - bar.n))
                elif time.monotonic() - begun >= DELAY_S:
                    bar.refresh()  # the elapsed time (refresh would draw the bar before tqdm's delay)
    return subprocess.CompletedProcess(command, process.returncode, out, err)
