#!/usr/bin/env python3
"""How long g++ takes to build the C simulation of an emitted HLS project.

    python benchmarks/csim_build_time.py [--models resnet8_int8 ...] [--repeat 3] [--jobs 2] [--opt -O1]
                                         [--output FILE]

For each model of examples/models: `fpga-compile --no-csim` (default
pipeline, KV260) emits the project once; then `make clean build` runs
`--repeat` times with `-j --jobs` and `OPT=--opt`, and the median wall time
is printed, with the time to run the 20-frame testbench once.  The target is
under 60 s for ResNet-8 with -O1 on two cores.  Figures only: nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "examples" / "models"


def _env() -> dict[str, str]:
    from fpga_opt.backend.hls.csim import INSTALL_HINT, find_ap_types

    headers = find_ap_types()
    if headers is None:
        sys.exit(f"csim_build_time: no ap_int.h / hls_stream.h; {INSTALL_HINT}")
    return dict(os.environ, AP_TYPES=str(headers))


def measure(model: str, work: Path, repeat: int, jobs: int, opt: str) -> dict[str, object]:
    out = work / model
    subprocess.run(
        [sys.executable, "-m", "fpga_opt.tools.fpga_compile", str(MODELS / f"{model}.onnx"), "-o", str(out), "--no-csim"],
        check=True,
        capture_output=True,
    )
    project = out / "hls"
    env = _env()
    times = []
    for _ in range(repeat):
        subprocess.run(["make", "-s", "clean"], cwd=project, check=True, env=env)
        start = time.perf_counter()
        subprocess.run(["make", "-s", "-j", str(jobs), "build", f"OPT={opt}"], cwd=project, check=True, env=env)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    run = subprocess.run(["./build/csim", "inputs.bin", "expected.bin"], cwd=project, capture_output=True, text=True, env=env)
    run_s = time.perf_counter() - start
    top = (project / "top.cpp").read_text()
    return {
        "model": model,
        "build_s_median": statistics.median(times),
        "build_s_all": [round(t, 2) for t in times],
        "run_s": run_s,
        "verdict": run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr.strip(),
        "kernels": top.count("    fpga_opt::"),
        "top_cpp_lines": top.count("\n"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["resnet8_int8", "lenet5_int8", "mobilenet_block_int8"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2, help="parallel g++ jobs (the target machine has 2 cores)")
    parser.add_argument("--opt", default="-O1")
    parser.add_argument("--output", help="also write the figures as JSON here")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            row = measure(model, Path(tmp), args.repeat, args.jobs, args.opt)
            rows.append(row)
            print(
                f"{row['model']}: build {row['build_s_median']:.1f} s (median of {args.repeat}, "
                f"make -j{args.jobs}, {args.opt}; {row['build_s_all']}), run {row['run_s']:.2f} s, "
                f"{row['kernels']} kernels, {row['verdict']}",
                flush=True,
            )
    print(f"machine: {os.cpu_count()} CPUs; target: ResNet-8 build < 60 s with -O1 on 2 cores")
    if args.output:
        Path(args.output).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
