#!/usr/bin/env python3
"""How long fpga-compile takes on a ResNet-50-sized int8 network, step by step.

    python benchmarks/compile_scale.py [--work DIR] [--repeat 1] [--csim] [--json FILE]

The network is `examples/models/build_models.py`'s `resnet50_like` (ResNet-50 topology,
random weights, 25.5 M parameters, 4.1 GMAC a frame), quantised by onnxruntime's own
quantiser as a user would: `quant_pre_process` (folds BatchNormalization into the convs),
then `quantize_static` in QDQ format with int8 weights and symmetric int8 activations,
calibrated on two random inputs.  It is built once into the work folder (default: the
system's temporary folder), with a board file for a large part: the U250's DSPs and clock,
with block RAM and LUTs for a whole ResNet-50's weights on chip (`big.toml`).

Then `fpga-compile --no-csim` runs end to end in this process, the way a user runs it (its
default frames: one for a network this size), and the script prints each step's wall time
(from fpga-compile's own progress lines), the total wall and CPU time, the machine's load
average, and the size of the emitted `weights.cpp`.  With `--csim` it also builds and runs
the emitted project's g++ C simulation and prints the verdict and the times.  Figures only:
nothing here asserts (test/backend/hls/test_models_csim.py has the heavy test).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

BOARD_FILE = """\
# A large UltraScale+ part for the ResNet-50 compile benchmark: the U250's DSP slices and clock,
# with block RAM and LUTs for a whole ResNet-50's weights (25.5 M int8 values) on chip.
base = "u250"
name = "big-u250"
bram18 = 40000
lut = 8000000
ff = 16000000
"""


def build_resnet50_int8(work: Path) -> tuple[Path, Path]:
    """(the int8 QDQ ResNet-50, the board file), built into `work` once."""
    import numpy as np
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    work.mkdir(parents=True, exist_ok=True)
    board = work / "big.toml"
    board.write_text(BOARD_FILE)
    model = work / "resnet50_like_int8.onnx"
    if model.exists():
        return model, board
    sys.path.insert(0, str(REPO / "examples" / "models"))
    import build_models

    float_path, pre_path = work / "resnet50_like.onnx", work / "resnet50_like_pre.onnx"
    onnx.save(build_models.resnet50_like(0), float_path)
    quant_pre_process(str(float_path), str(pre_path), skip_symbolic_shape=True)

    class Inputs(CalibrationDataReader):
        def __init__(self) -> None:
            rng = np.random.default_rng(0)
            self.batches = iter([{"input": rng.standard_normal((1, 3, 224, 224)).astype(np.float32)} for _ in range(2)])

        def get_next(self):
            return next(self.batches, None)

    quantize_static(
        str(pre_path),
        str(model),
        Inputs(),
        quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QInt8,
        weight_type=QuantType.QInt8,
        extra_options={"ActivationSymmetric": True},
    )
    return model, board


STEP = re.compile(r"^\[(\d)/6\] (\w+)\s.*?([\d.]+) s$")


def compile_once(model: Path, board: Path, out: Path, csim: bool) -> dict[str, object]:
    """fpga-compile in this process: each step's wall time, the total wall and CPU time."""
    from fpga_opt.tools.fpga_compile import main

    args = [str(model), "--board", str(board), "-o", str(out)] + ([] if csim else ["--no-csim"])
    text = io.StringIO()
    wall, cpu = time.perf_counter(), time.process_time()
    code = 0
    with contextlib.redirect_stdout(text):
        try:
            main(args)
        except SystemExit as exit_:
            code = exit_.code or 0
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    steps = {}
    for line in text.getvalue().splitlines():
        match = STEP.match(line)
        if match:
            steps[match.group(2)] = float(match.group(3))
    csim_line = next((line for line in text.getvalue().splitlines() if line.startswith("[6/6]")), "")
    weights = out / "hls" / "weights.cpp"
    return {
        "exit_code": code,
        "steps_s": steps,
        "wall_s": wall,
        "cpu_s": cpu,
        "weights_cpp_mb": weights.stat().st_size / 1e6 if weights.exists() else None,
        "csim": csim_line.split("csim", 1)[-1].strip(),
        "load_average": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "fpga_opt_resnet50")
    parser.add_argument("--repeat", type=int, default=1, help="compiles to run (the median is printed)")
    parser.add_argument("--csim", action="store_true", help="also build and run the g++ C simulation")
    parser.add_argument("--json", type=Path, help="also write the runs as JSON")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    model, board = build_resnet50_int8(args.work)
    print(
        f"int8 ResNet-50: {model} ({model.stat().st_size / 1e6:.1f} MB; built or found in {time.perf_counter() - start:.1f} s)"
    )
    runs = [compile_once(model, board, args.work / f"out{i}", args.csim) for i in range(args.repeat)]
    for i, run in enumerate(runs):
        steps = "  ".join(f"{name} {sec:.1f}s" for name, sec in run["steps_s"].items())
        print(
            f"run {i}: exit {run['exit_code']}  wall {run['wall_s']:.1f} s  cpu {run['cpu_s']:.1f} s  "
            f"(load average {run['load_average']:.1f})  weights.cpp {run['weights_cpp_mb']:.0f} MB"
        )
        print(f"        {steps}")
        print(f"        csim: {run['csim']}")
    print(
        f"\nfpga-compile end to end{'' if args.csim else ' without csim'}: median wall "
        f"{statistics.median(r['wall_s'] for r in runs):.1f} s, cpu {statistics.median(r['cpu_s'] for r in runs):.1f} s "
        f"over {len(runs)} run(s)"
    )
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
