#!/usr/bin/env python3
"""Optional: select-folding side by side with SAMO (Montgomerie-Corcoran et al., FPT 2022) on the same ONNX
models and the same board limits: each tool's predicted throughput and its search time.

    python benchmarks/samo_compare.py [--samo-python PATH] [--board kv260] [--models lenet5]
                                      [--max-util 0.85] [--seed 0] [--json FILE]

SAMO is not a dependency of fpga-opt (fpgaconvnet-model pins onnx 1.8.1, which has wheels only
for old Pythons), so it lives in a virtual environment of its own:

    python3.8 -m venv /tmp/samo-venv
    /tmp/samo-venv/bin/pip install --no-deps samo fpgaconvnet-model
    /tmp/samo-venv/bin/pip install onnx==1.8.1 onnxruntime==1.7.0 onnxoptimizer==0.2.6 protobuf==3.17.0
    /tmp/samo-venv/bin/pip install "numpy<1.20" "pyparsing<3" networkx scipy tabulate pydot graphviz pyyaml tqdm
    # torch: `pip install torch`, or (it is only used by fpgaConvNet's numerical models) an empty package:
    SITE=$(/tmp/samo-venv/bin/python -c 'import site; print(site.getsitepackages()[0])')
    mkdir -p $SITE/torch && touch $SITE/torch/__init__.py
    python benchmarks/samo_compare.py --samo-python /tmp/samo-venv/bin/python

(or set SAMO_PYTHON).  Without SAMO the script says so and exits with code 0;
it is not part of `make test`.  SAMO runs its fpgaconvnet backend with
simulated annealing, objective throughput, batch size 1, one partition (no
reconfiguration), on a platform file holding the board's resources scaled by
`--max-util` and its clock.  fpgaconvnet-model 0.1.4's parser reads chains
of conv/pool/relu/linear only (ResNet-8 fails on its residual Add), so the
default model is LeNet-5; SAMO's annealing takes about 15 CPU-minutes on it.
The two tools predict with their own models
(fpgaConvNet's vs backend/costs/), so the throughputs compare
what each optimiser believes it achieved under the same budget; the ONNX
models are the float ones, which fpgaConvNet's parser reads.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "examples" / "models"

INSTALL_HINT = "SAMO is not available, so there is nothing to compare.  To run this benchmark:\n\n" + "\n".join(
    line for line in __doc__.split("own:\n\n", 1)[1].split("\n\n(or set", 1)[0].splitlines()
)


def samo_python(explicit: str | None) -> str | None:
    """An interpreter that can `import samo`, or None."""
    candidates = [explicit, os.environ.get("SAMO_PYTHON"), sys.executable]
    for candidate in candidates:
        if not candidate:
            continue
        if shutil.which(candidate) is None and not Path(candidate).exists():
            continue
        probe = subprocess.run([candidate, "-c", "import samo, fpgaconvnet"], capture_output=True, text=True)
        if probe.returncode == 0:
            return candidate
    return None


def platform_json(board, max_util: float) -> dict:
    """SAMO's platform description: the board's resources within `max_util`, BRAM in 18 Kb blocks, clock in MHz."""
    from fpga_opt.backend.target.resources import Resources

    def budget(name: str) -> int:
        return Resources.budget(board, name, max_util)

    return {
        "name": board.name,
        "part": board.part,
        "freq": board.clock_mhz,
        "bandwidth": board.bandwidth_gbps * 8,  # SAMO compares Gbit/s
        "reconf_time": 0.0,
        "resources": {"DSP": budget("dsp"), "BRAM": budget("bram18"), "FF": budget("ff"), "LUT": budget("lut")},
    }


def for_old_onnx(model: Path, workdir: Path) -> Path:
    """A copy of `model` that onnx 1.8 (fpgaConvNet's pin) accepts: IR version 7; the graph (opset 13) is unchanged."""
    import onnx

    proto = onnx.load(str(model))
    proto.ir_version = min(proto.ir_version, 7)
    path = workdir / model.name
    onnx.save(proto, str(path))
    return path


def run_samo(python: str, model: Path, platform: dict, seed: int, workdir: Path) -> dict:
    model = for_old_onnx(model, workdir)
    platform_path = workdir / "platform.json"
    platform_path.write_text(json.dumps(platform, indent=2))
    out = workdir / f"{model.stem}.samo.json"
    # SAMO's partitions run at a fixed 100 MHz unless told otherwise: set the board's clock, then run its CLI.
    launcher = (
        "import sys, samo.model.partition as p; p.Partition.freq = float(sys.argv.pop(1)); "
        "import samo.cli; samo.cli.main(sys.argv[1:])"
    )
    command = [
        python, "-c", launcher, str(platform["freq"]), "--model", str(model), "--backend", "fpgaconvnet",
        "--platform", str(platform_path), "--output-path", str(out), "--optimiser", "annealing",
        "--objective", "throughput", "--enable_reconf", "false", "--batch-size", "1", "--seed", str(seed),
    ]  # fmt: skip
    (workdir / "outputs").mkdir(exist_ok=True)  # SAMO's annealer writes outputs/log.csv into its working directory
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=workdir)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
        return {"error": tail[0][:200], "search_s": seconds}
    match = re.search(r"Total Throughput:\s*([0-9.eE+-]+)\s*\(img/us\)", done.stdout)
    if not match:
        return {"error": "could not read 'Total Throughput' from SAMO's summary", "search_s": seconds}
    design = json.loads(out.read_text()) if out.exists() and out.suffix == ".json" else None
    summary = done.stdout[done.stdout.rfind("Partition 0:") :] if "Partition 0:" in done.stdout else ""
    return {"fps": float(match.group(1)) * 1e6, "search_s": seconds, "summary": summary, "design": design}


def run_select_folding(model: Path, board_name: str, max_util: float) -> dict:
    from xdsl.context import Context

    from fpga_opt.backend.costs import CostContext, analyse_network
    from fpga_opt.backend.target.boards import get_board
    from fpga_opt.dialects.errors import FpgaOptError
    from fpga_opt.frontend.onnx_import import import_onnx
    from fpga_opt.passes.select_folding import SelectFoldingPass

    board = get_board(board_name)
    result = {}
    for algorithm in ("greedy", "anneal"):
        module = import_onnx(model).module
        start = time.perf_counter()
        try:
            SelectFoldingPass(board=board_name, algorithm=algorithm, max_util=max_util).apply(Context(), module)
        except FpgaOptError as error:
            result[algorithm] = {"error": str(error)}
            continue
        seconds = time.perf_counter() - start
        net = analyse_network(module, CostContext.for_board(board))
        result[algorithm] = {"fps": net.fps(board.clock_mhz), "search_s": seconds, "dsp": net.resources.dsp}
    return result


def format_table(rows: list[dict]) -> str:
    """One row per model: each optimiser's predicted frame rate and search time."""
    from fpga_opt.tools.tables import render

    def cell(r: dict) -> str:
        if "error" in r:
            return f"error: {r['error']}"
        return f"{r['fps']:.0f} FPS {r['search_s']:.2f}s"

    header = ["model", "SAMO (annealing)", "select-folding greedy", "select-folding anneal"]
    table = [
        [r["model"], cell(r["samo"]), cell(r["select_folding"]["greedy"]), cell(r["select_folding"]["anneal"])]
        for r in rows
    ]
    return render(header, table, right={1, 2, 3})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samo-python", help="a Python interpreter with samo and fpgaconvnet-model installed")
    parser.add_argument("--board", default="kv260")
    parser.add_argument(
        "--models",
        default="lenet5",
        help="float ONNX models of examples/models (fpgaconvnet-model 0.1.4's parser reads chains only: no residual Add)",
    )
    parser.add_argument("--max-util", type=float, default=0.85)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)

    python = samo_python(args.samo_python)
    if python is None:
        print(INSTALL_HINT)
        return 0

    from fpga_opt.backend.target.boards import get_board

    board = get_board(args.board)
    platform = platform_json(board, args.max_util)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            model = MODELS / f"{name}.onnx"
            samo = run_samo(python, model, platform, args.seed, Path(tmp))
            ours = run_select_folding(model, args.board, args.max_util)
            rows.append({"model": name, "board": board.name, "samo": samo, "select_folding": ours})
            print(f"  compared {name}", file=sys.stderr, flush=True)

    print(f"board {board.name} at {board.clock_mhz:g} MHz, budgets {args.max_util:.0%} of every resource\n")
    print(format_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
