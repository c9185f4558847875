#!/usr/bin/env python3
"""Early exits that pay off: `fpga-compile --exit-data` on two trained networks and every built-in board.

    python benchmarks/early_exit.py [--networks blenet,resnet] [--boards kv260,...] [--max-util 0.85]
                                    [--accuracy-within 1.0] [--no-match] [--json FILE]

For each network (examples/early_exit/: the B-LeNet and the residual network, both int8, trained on
scikit-learn's digits; the 540 held-out images are `digits_test.npz`) and each board, the flow of
`fpga-compile --exit-data` (tools/compile_exits.py, steps 1 to 5: no lowering or csim) runs and
the table gives:

* **thresholds, leave early, accuracy**: what `--accuracy-within` (default 1 point of the final
  exit's accuracy) chose on the real samples, with the final exit's own accuracy;
* **ideal**: the gain the exit rates allow at equal compute, backbone MACs / sum over stages of
  reach x stage MACs (exit branches counted; `exit_rates.ideal_gain`);
* **gain**: fpga-sim's throughput of the early-exit design on the real samples, each routed by its
  real decision, against the network without its early exits folded for the same resource cap
  (`max-util`), both with the FIFO depths size-fifos gave them (2-word streams elsewhere);
* **exit model, exit sim, exit report, report-sim**: the early-exit design's cycles per sample in the cost
  model, in fpga-sim on the real route and in `fpga-report`, and how far fpga-report's is from fpga-sim's;
* **of ideal, of reachable**: gain / ideal, and gain / the smaller of the ideal and the gain the
  floor allows (baseline cycles / the fastest any folding runs: the input rate); `(baseline emitted)`: the early-exit design is slower than the baseline,
  so fpga-compile emits the baseline (its gain is then 1.00);
* **limit**: `compute` when nothing else caps the gain (or it is >= 90 % of the ideal), else what
  does, with its number: the input rate (the first conv at its fastest folding reads one pixel per
  cycle: "input rate: 256 cycles/frame for the 1x16x16 input at 1 pixel/cycle"), with fpga-sim's
  interval and the gain it allows; or, below 90 % of the ideal, the folding step that does not fit
  (the interval's next step down, every op at its cheapest folding for it, exceeds the budget: the
  ops whose step costs the most are named, with their cycles and resources before and after);
* **DSP, LUT**: the early-exit design's resources against the baseline's;
* **match**: the cheapest early-exit design whose simulated rate meets the baseline's (ATHEENA's
  second figure): its DSP and LUT shares of the baseline's, its BRAM18 against the baseline's (the
  exit buffers are BRAM where a baseline may have almost none, so a share would mislead), and its
  simulated cycles per sample.

Figures only: nothing here asserts.  docs/passes/early_exit.md records a run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "early_exit"
NETWORKS = {
    "blenet": ("B-LeNet", EXAMPLE / "digits_blenet_int8.onnx"),
    "resnet": ("ResNet", EXAMPLE / "digits_resnet_int8.onnx"),
}
DATA = EXAMPLE / "digits_test.npz"
BOARDS = ("pynqz2", "ultra96v2", "zc706", "kv260", "zcu102", "u250")


def run_one(model: Path, board: str, max_util: float, within: float, match: bool, out: Path) -> dict:
    from fpga_opt.tools import fpga_compile as fc
    from fpga_opt.tools.compile_exits import Hooks, run_exit_flow

    args = argparse.Namespace(
        model=str(model),
        output=str(out),
        board=board,
        exit_data=str(DATA),
        labels_key="y",
        inputs_key=None,
        thresholds=None,
        accuracy_within=within,
        max_util=max_util,
        match_baseline=match,
        input_shape=[],
        frames=20,
    )
    out.mkdir(parents=True, exist_ok=True)
    quiet = Hooks(fc.import_model, fc._module_text, fc._relocate_sidecar, fc._apply, lambda _text: None)
    start = time.perf_counter()
    _design, _weights, _vectors, _path, section = run_exit_flow(args, quiet)
    section["seconds"] = round(time.perf_counter() - start, 1)
    return section


def limit_text(s: dict) -> str:
    from fpga_opt.tools.compile_exits import limit

    return limit(s) or "compute"


def reachable(s: dict) -> float:
    """The gain any folding could reach: the ideal, or less where the input rate (the floor) caps it."""
    cap = s["floor"]["gain_cap"]
    return s["ideal_gain"] if cap is None else min(s["ideal_gain"], cap)


def row(name: str, board: str, s: dict) -> list[str]:
    base, ed = s["baseline"], s["exit_design"]
    share = lambda r: f"{100 * ed['resources'][r] / base['resources'][r]:.0f}%" if base["resources"][r] else "-"  # noqa: E731
    cells = [
        name,
        board,
        "/".join(f"{t:g}" for t in s["thresholds"]),
        f"{100 * (1 - s['exit_fractions'][-1]):.1f}%",
        f"{100 * s['accuracy']:.2f}% ({100 * s['final_exit_accuracy']:.2f}%)",
        f"{base['sim_cycles']:,.0f}",
        f"{ed['model_cycles']:,.0f}",
        f"{ed['sim_cycles']:,.0f}",
        "-" if ed.get("report_cycles") is None else f"{ed['report_cycles']:,}",
        "-" if ed.get("report_cycles") is None else f"{100 * (ed['report_cycles'] / ed['sim_cycles'] - 1):+.1f}%",
        f"{s['ideal_gain']:.2f}x",
        f"{s['gain']:.2f}x" + (" (baseline emitted)" if s["fell_back"] else ""),
        f"{100 * s['gain_vs_ideal']:.0f}%",
        f"{100 * s['gain'] / reachable(s):.0f}%",
        limit_text(s),
        share("dsp"),
        share("lut"),
    ]
    m = s.get("matched")
    if m is None:
        cells += ["-", "-", "-", "-"]
    else:
        cells += [
            f"{100 * m['share']['dsp']:.0f}%",
            f"{100 * m['share']['lut']:.0f}%",
            f"{m['resources']['bram18']}/{base['resources']['bram18']}",
            "-" if m["sim_cycles"] is None else f"{m['sim_cycles']:,.0f}",
        ]
    return cells


HEAD = [
    "network",
    "board",
    "t",
    "leave early",
    "accuracy (final exit)",
    "base cyc",
    "exit model",
    "exit sim",
    "exit report",
    "report-sim",
    "ideal",
    "gain",
    "of ideal",
    "of reachable",
    "limit",
    "DSP",
    "LUT",
    "match DSP",
    "match LUT",
    "match BRAM18",
    "match cyc",
]


def print_table(rows: list[list[str]]) -> None:
    from fpga_opt.tools.tables import render

    print(render(HEAD, rows))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", default=",".join(NETWORKS))
    parser.add_argument("--boards", default=",".join(BOARDS))
    parser.add_argument("--max-util", type=float, default=0.85)
    parser.add_argument("--accuracy-within", type=float, default=1.0)
    parser.add_argument("--no-match", action="store_true", help="skip the resource-matching design (faster)")
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument("--from-json", help="print the table of an earlier run's --json file, running nothing")
    args = parser.parse_args(argv)
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text())
        print_header(results)
        print_table([row(NETWORKS[r["network"]][0], r["board"], r) for r in results["runs"]])
        return results
    results: dict = {"max_util": args.max_util, "accuracy_within": args.accuracy_within, "runs": []}
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="early_exit_bench_"))
    for key in args.networks.split(","):
        name, model = NETWORKS[key]
        for board in args.boards.split(","):
            s = run_one(model, board, args.max_util, args.accuracy_within, not args.no_match, tmp / f"{key}_{board}")
            results["runs"].append({"network": key, "board": board, **s})
            rows.append(row(name, board, s))
            print(
                f"{name} on {board}: {s['gain']:.2f}x of ideal {s['ideal_gain']:.2f}x ({s['seconds']} s)",
                file=sys.stderr,
            )
            if args.json:
                Path(args.json).write_text(json.dumps(results, indent=2, default=float) + "\n")
    print_header(results)
    print_table(rows)
    return results


def print_header(results: dict) -> None:
    samples = results["runs"][0]["samples"] if results["runs"] else 0
    print(
        f"\nfpga-compile --exit-data on the {samples} digits test images; max-util {results['max_util']:g}; "
        f"thresholds within {results['accuracy_within']:g} point(s) of the final exit's accuracy; fpga-sim with "
        "the sized FIFOs (cycles per sample)\n"
    )


if __name__ == "__main__":
    main()
