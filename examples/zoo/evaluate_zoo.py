"""Evaluate the zoo built by build_zoo.py: import, fpga-sim as imported, the trace against onnxruntime, csim.

    python examples/zoo/evaluate_zoo.py --zoo build/zoo --size cifar                    # every model found
    python examples/zoo/evaluate_zoo.py --zoo build/zoo resnet18 vgg11 --forms qop --samples 200
    python examples/zoo/evaluate_zoo.py --zoo build/zoo --csim --board u250 --json zoo.json

Per model (network x form) it prints one row of a Markdown table (the last column is the model's
wall time, on whatever machine and load it ran: not a figure to compare):

* **import**: `fpga-translate --import-onnx` (the op count), or the one-line refusal;
* **sim**: fpga-sim (timing and functional model, default FIFOs) straight after import on one
  input: the cycles per frame, or the deadlock;
* **trace**: `fpga-trace` on `--samples` generated inputs (normal noise, seeded; nothing is
  downloaded): the worst layer with each layer fed the reference's own input (integer graphs: share
  of values equal and max |diff| in LSBs; float graphs: max relative difference), the top-1
  agreement, and whether the issue #13 thresholds hold (fpga_trace.check);
* **csim** (`--csim`): `fpga-compile --board B` (default pipeline, bit-exact/tolerance check, HLS
  project, g++ csim against fpga-sim's outputs): the verdict or the one-line refusal.

`--json` writes every figure; `--join a.json b.json ...` prints the table of rows written by
several runs (one network at a time, say) without evaluating anything.  Exit code 1 when any model
misses a threshold or fails to import without a clean refusal.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_zoo import FORMS, model_path  # noqa: E402  (the zoo's file names; torch is not imported)


def _one_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def evaluate(path: Path, samples: int, seed: int, csim: bool, board: str, work: Path) -> dict:
    """Every figure of one model (see the module docstring)."""
    from fpga_opt.backend.sim import simulate
    from fpga_opt.dialects.errors import FpgaOptError
    from fpga_opt.frontend.loader import load_graph
    from fpga_opt.frontend.onnx_import import import_onnx
    from fpga_opt.tools.fpga_trace import check, trace_model

    row: dict = {"model": str(path), "samples": samples}
    t0 = time.perf_counter()
    try:
        imported = import_onnx(path)
    except FpgaOptError as error:
        row.update(imported=False, refused=_one_line(error))
        return row
    func = next(iter(imported.module.body.block.ops))
    row.update(imported=True, ops=len(list(func.body.block.ops)) - 1, import_s=round(time.perf_counter() - t0, 2))

    graph = load_graph(path)
    rng = np.random.default_rng(seed)
    inputs = {name: rng.standard_normal((samples, *shape[1:])).astype(np.float32) for name, shape, _ in graph.inputs}
    try:
        one = {name: batch[:1] for name, batch in inputs.items()}
        result = simulate(
            imported.module, imported.weights, [one[n] for n, _, _ in graph.inputs], frames=1, layout="nchw"
        )
        row["sim"] = (
            {"deadlock": _one_line(Exception(str(result.deadlock)))}
            if result.deadlock
            else {"outputs": result.outputs is not None, "cycles_per_frame": result.cycles_per_frame}
        )
    except FpgaOptError as error:
        row["sim"] = {"error": _one_line(error)}

    summary = trace_model(path, inputs, source=f"{samples} generated (normal noise, seed {seed})")
    is_float = all(t["kind"] == "float" for t in summary["layers"])
    row["trace"] = {
        "float": is_float,
        "layers": len(summary["layers"]),
        "worst_isolated": summary["worst_isolated"],
        "worst_float_rel": max(
            (t["isolated"]["max_diff"] for t in summary["layers"] if t["kind"] == "float"), default=0.0
        ),
        "first_diverging": summary.get("first_divergence", {}),
        "top1_agree": summary["end_to_end"]["top1_agree"],
        "top1_disagreements": summary["end_to_end"]["top1_disagreements"],
        "top1_margin_unit": summary["end_to_end"]["top1_margin_unit"],
        "end_max_rel": summary["end_to_end"]["max_rel_diff"],
        "failures": check(summary),
    }
    if csim:
        out = work / path.stem
        cmd = [
            str(Path(sys.executable).parent / "fpga-compile"),
            str(path),
            "--board",
            board,
            "-o",
            str(out),
            "--frames",
            "2",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True)
        lines = [ln for ln in done.stdout.splitlines() if ln.strip().startswith("csim ")]
        if done.returncode == 0 and lines:
            row["csim"] = {"passed": True, "verdict": lines[-1].split("csim", 1)[1].strip()}
        else:
            err = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
            row["csim"] = {"passed": False, "verdict": err}
    return row


def table(rows: list[dict]) -> str:
    head = (
        "| network | form | import | sim as imported | layers traced | worst layer (isolated) | inputs | top-1 agree "
        "| thresholds | csim | time |"
    )
    lines = [head, "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        net, form = r["net"], r["form"]
        seconds = f"{r['seconds']:.0f} s" if "seconds" in r else "-"
        if not r.get("imported"):
            lines.append(f"| {net} | {form} | refused: {r.get('refused', '?')} | | | | | | | | {seconds} |")
            continue
        sim = r.get("sim", {})
        sim_text = (
            f"{sim['cycles_per_frame']:.0f} cycles/frame"
            if "cycles_per_frame" in sim
            else sim.get("deadlock") or sim.get("error")
        )
        t = r["trace"]
        if t["float"]:
            worst = f"{t['worst_float_rel']:.1e} rel"
        else:
            w = t["worst_isolated"]
            worst = f"{100 * w['equal']:.3f}% equal, {w['max_lsb']:.0f} LSB"
        top1 = "-" if t["top1_agree"] is None else f"{100 * t['top1_agree']:.1f}%"
        flips = t.get("top1_disagreements") or []
        if flips:  # how close the reference itself was between its class and ours
            unit = " LSB" if t.get("top1_margin_unit") == "lsb" else " rel"
            top1 += f" ({len(flips)} differ; reference margin <= {max(f['reference_margin'] for f in flips):.3g}{unit})"
        ok = "pass" if not t["failures"] else "FAIL: " + "; ".join(t["failures"])[:120]
        csim = r.get("csim", {}).get("verdict", "-")
        lines.append(
            f"| {net} | {form} | {r['ops']} ops | {sim_text} | {t['layers']} | {worst} | {r.get('samples', '?')} "
            f"| {top1} | {ok} | {csim} "
            f"| {seconds} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("nets", nargs="*", help="networks (default: every one found in the zoo folder)")
    p.add_argument("--zoo", default="build/zoo", help="the folder build_zoo.py wrote (default build/zoo)")
    p.add_argument("--size", choices=("cifar", "imagenet"), default="cifar")
    p.add_argument("--forms", nargs="+", choices=FORMS, default=list(FORMS))
    p.add_argument("--samples", type=int, default=200, help="generated inputs per model (default 200)")
    p.add_argument("--seed", type=int, default=1, help="seed of the inputs (the calibration images use seed 0)")
    p.add_argument("--csim", action="store_true", help="also run fpga-compile (HLS project + g++ csim)")
    p.add_argument("--board", default="u250", help="board for --csim (default u250)")
    p.add_argument("--work", default="build/zoo_compile", help="fpga-compile output folders for --csim")
    p.add_argument("--json", help="write every figure to this file")
    p.add_argument("--join", nargs="+", metavar="JSON", help="print the table of these --json files' rows and stop")
    args = p.parse_args(argv)
    if args.join:
        rows = [row for name in args.join for row in json.loads(Path(name).read_text())]
        sys.stdout.write(table(rows))
        return 0
    zoo = Path(args.zoo)
    nets = args.nets or sorted(
        {f.name.split(".")[0] for f in (zoo / args.size).glob("*.onnx")}, key=lambda n: (n.rstrip("0123456789_"), n)
    )
    if not nets:
        p.error(f"no models in {zoo / args.size}; build them with examples/zoo/build_zoo.py --out {zoo}")
    rows = []
    for net in nets:
        for form in args.forms:
            path = model_path(zoo, args.size, net, form)
            if not path.exists():
                continue
            t0 = time.perf_counter()
            row = {
                "net": net,
                "form": form,
                **evaluate(path, args.samples, args.seed, args.csim, args.board, Path(args.work)),
            }
            row["seconds"] = round(time.perf_counter() - t0, 1)
            rows.append(row)
            print(table([row]).splitlines()[-1], file=sys.stderr, flush=True)
    sys.stdout.write(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, default=str) + "\n")
    bad = [
        r
        for r in rows
        if (r.get("imported") and (r["trace"]["failures"] or "cycles_per_frame" not in r.get("sim", {})))
    ]
    bad += [r for r in rows if r.get("csim") and not r["csim"]["passed"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
