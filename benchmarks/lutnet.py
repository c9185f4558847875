#!/usr/bin/env python3
"""LUTNet against its XNOR baseline on the committed digits models: yosys LUTs, accuracy, agreement.

    python benchmarks/lutnet.py [--nets lfc,cnv] [--models a,b] [--check-frames N] [--csim-frames N]
                                [--jobs 2] [--json FILE] [--models-dir DIR] [--skip-synthesis]

For every model examples/lutnet/train.py wrote (models.json: the plain binarised
network `<net>_xnor` and LUTNet at several K and pruning levels), one run:

1. **Accuracy**: fpga-sim's bit-exact outputs for the whole held-out split (540
   digits), argmax against the labels; beside it the accuracy torch measured
   when training (the two should match: the exported graph is the trained one).
   "learned" is the share of LUT operators whose table uses two or more of its
   K inputs (near 0: the tables never left the XNOR they started from).
2. **Agreement**: the unrolled Verilog in Icarus on the same images
   (`--check-frames`, all by default) and the tiled HLS project's g++ C
   simulation (`--csim-frames`) must equal fpga-sim bit for bit.
3. **Area**: yosys `synth_xilinx` of the unrolled Verilog (LUT1..LUT6 and FDs,
   hierarchy kept; unit by unit, a batch of units per yosys run, each unit's
   counts cached by content hash in `--synth-cache`) beside the unrolled cost
   model's prediction (backend/costs/binary.py) and its error.  "synth s" is
   the time yosys took in this run (a cached unit takes none).  `--skip-synthesis` leaves yosys
   out (steps 1 and 2 only, the cost model's LUTs shown, no final claim line).

It ends with the LUT ratio and accuracy difference of the best K=4
configuration within 1 point of its network's XNOR baseline (fewest LUTs), per
network, and one last line for the best of them:
`LUTNet K=4: <R>x fewer LUTs than the XNOR baseline at <D> points accuracy`
(D = LUTNet minus baseline, in points).  Figures only: nothing here asserts.
docs/lutnet.md records a run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "examples" / "lutnet"))

import flow  # noqa: E402  (examples/lutnet/flow.py: the example's flow, no torch)

WITHIN_POINTS = 1.0


def measure(
    models: Path,
    name: str,
    check_frames: int | None,
    csim_frames: int,
    synth: bool = True,
    verilog_timeout=3600.0,
    synth_cache: Path | None = None,
) -> dict:
    """Every figure of one model (runs in a worker process: synthesis dominates)."""
    from fpga_opt.dialects.errors import FpgaOptError

    flow.MODELS = models
    start = time.perf_counter()
    model = flow.compile_model(flow.MODELS / f"{name}.onnx")
    x, y = flow.test_split()
    logits = flow.sim_logits(model, x)
    row: dict = {
        "model": name,
        "sim_accuracy": flow.accuracy(logits, y),
        "frames": len(x),
        "learned": flow.learned_share(model),
    }
    n = len(x) if check_frames is None else min(check_frames, len(x))
    try:
        row["verilog_frames"] = n
        row["verilog_equal"] = bool(
            np.array_equal(flow.verilog_logits(model, x[:n], timeout=verilog_timeout), logits[:n])
        )
    except FpgaOptError as error:
        row["verilog_equal"], row["verilog_error"] = False, str(error)
    if csim_frames:
        with tempfile.TemporaryDirectory(prefix="lutnet-csim-") as tmp:
            verdict = flow.csim_check(model, x[:csim_frames], Path(tmp) / "hls")
        row["csim_frames"] = min(csim_frames, len(x))
        row["csim_equal"] = verdict.startswith("PASS")
        row["csim_verdict"] = verdict
    if not synth:
        predicted = flow.predicted_cost(model)
        row.update(model_lut=predicted[0], model_ff=predicted[1], seconds=time.perf_counter() - start)
        return row
    report = flow.synthesis(model, synth_cache, lambda line: print(f"synthesis {line}", file=sys.stderr, flush=True))
    row.update(
        yosys_lut=report.yosys_lut,
        yosys_ff=report.yosys_ff,
        model_lut=report.model_lut,
        model_ff=report.model_ff,
        lut_error=(report.model_lut - report.yosys_lut) / report.yosys_lut,
        synth_seconds=report.seconds,
        seconds=time.perf_counter() - start,
    )
    return row


def yes_no(row: dict, key: str) -> str:
    if key not in row:
        return "-"
    if row.get(key.replace("_equal", "_error")):  # the tool failed (a time-out, say): nothing compared
        return f"ERR/{row[key.replace('_equal', '_frames')]}"
    return f"{'yes' if row[key] else 'NO'}/{row[key.replace('_equal', '_frames')]}"


def table(rows: list[dict], recorded: dict) -> list[str]:
    from fpga_opt.tools.tables import render

    head = ["model", "K", "prune", "learned", "acc sim", "acc torch", "verilog=sim", "csim=sim", "yosys LUT", "model LUT", "err",
            "yosys FF", "synth s"]  # fmt: skip
    body = []
    for r in rows:
        rec = recorded[r["model"]]
        if "yosys_lut" not in r:  # --skip-synthesis: the cost model's LUTs only
            r = {**r, "yosys_lut": "-", "yosys_ff": "-", "lut_error": None, "synth_seconds": None}
        body.append(
            [
                r["model"], f"{rec['k'] or '-'}", f"{rec['prune']:.4f}",
                "-" if r.get("learned") is None else f"{100 * r['learned']:.1f}%", f"{100 * r['sim_accuracy']:.2f}%",
                f"{100 * rec['torch_accuracy']:.2f}%", yes_no(r, "verilog_equal"), yes_no(r, "csim_equal"),
                f"{r['yosys_lut']}", f"{r['model_lut']}",
                "-" if r["lut_error"] is None else f"{100 * r['lut_error']:+.1f}%", f"{r['yosys_ff']}",
                "-" if r["synth_seconds"] is None else f"{r['synth_seconds']:.0f}",
            ]
        )  # fmt: skip
    return render(head, body, right=set(range(1, len(head)))).splitlines()


def agree_ok(rows: list[dict]) -> bool:
    """No comparison that ran found a difference (failed runs aside)."""
    return all((r.get("verilog_error") or r.get("verilog_equal", True)) and r.get("csim_equal", True) for r in rows)


def best_k4(rows: list[dict], recorded: dict, lut_key: str = "yosys_lut") -> list[dict]:
    """Per network: the K=4 model with the fewest LUTs (`lut_key`) within WITHIN_POINTS of the XNOR baseline."""
    found = []
    for net in sorted({recorded[r["model"]]["network"] for r in rows}):
        base = next((r for r in rows if r["model"] == f"{net}_xnor"), None)
        if base is None:
            continue
        candidates = [
            r
            for r in rows
            if recorded[r["model"]]["network"] == net
            and recorded[r["model"]]["k"] == 4
            and 100 * (r["sim_accuracy"] - base["sim_accuracy"]) >= -WITHIN_POINTS
        ]
        for r in sorted(candidates, key=lambda r: r[lut_key])[:1]:
            found.append(
                {
                    "network": net,
                    "model": r["model"],
                    "ratio": base[lut_key] / r[lut_key],
                    "points": 100 * (r["sim_accuracy"] - base["sim_accuracy"]),
                }
            )
        if not candidates:
            found.append({"network": net, "model": None})
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", default="lfc,cnv", help="networks to measure (models.json 'network')")
    parser.add_argument("--models", default="", help="only these models (comma-separated stems)")
    parser.add_argument("--check-frames", type=int, default=None, help="images for the Verilog check (all)")
    parser.add_argument("--csim-frames", type=int, default=540, help="images for the csim check (0: skip)")
    parser.add_argument("--jobs", type=int, default=2, help="models measured in parallel")
    parser.add_argument(
        "--verilog-timeout", type=float, default=3600.0, help="seconds for each Icarus run (540 lfc frames: ~10 min)"
    )
    parser.add_argument(
        "--skip-synthesis",
        action="store_true",
        help="accuracy and agreement only; LUTs from the cost model (yosys: minutes per lfc model, first time)",
    )
    parser.add_argument(
        "--synth-cache",
        type=Path,
        default=REPO / "build" / "yosys-cache",
        help="folder of each synthesised unit's cell counts, by content hash (a rerun synthesises only what changed)",
    )
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--models-dir", type=Path, default=flow.MODELS, help="train.py's output folder")
    args = parser.parse_args(argv)
    flow.MODELS = args.models_dir

    recorded = flow.recorded()
    nets = set(args.nets.split(","))
    wanted = set(filter(None, args.models.split(",")))
    names = [n for n, rec in recorded.items() if rec["network"] in nets and (not wanted or n in wanted)]
    if wanted:  # in the order asked for
        order = list(filter(None, args.models.split(",")))
        names.sort(key=order.index)
    if not names:
        print(f"lutnet.py: error: no model of {sorted(nets)} in {flow.MODELS / 'models.json'}", file=sys.stderr)
        return 1
    synth = not args.skip_synthesis
    start = time.perf_counter()
    rows: dict[str, dict] = {}
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {
            name: pool.submit(
                measure,
                args.models_dir,
                name,
                args.check_frames,
                args.csim_frames,
                synth,
                args.verilog_timeout,
                args.synth_cache,
            )
            for name in names
        }
        for name, future in futures.items():
            rows[name] = future.result()
            print(f"[{len(rows)}/{len(names)}] {name}: {rows[name]['seconds']:.0f} s", file=sys.stderr, flush=True)
            if args.json:  # each model's figures as soon as it is measured: a long run that is stopped keeps them
                args.json.write_text(json.dumps({"models": list(rows.values()), "complete": False}, indent=2) + "\n")
    ordered = [rows[n] for n in names]
    for line in table(ordered, recorded):
        print(line)
    agree = all(r.get("verilog_equal", True) and r.get("csim_equal", True) for r in ordered)
    print()
    if synth:
        errors = [abs(r["lut_error"]) for r in ordered]
        print(
            f"cost model vs yosys LUTs: max |error| {100 * max(errors):.1f}%, "
            f"median {100 * float(np.median(errors)):.1f}%"
        )
    for r in ordered:
        if r.get("verilog_error"):
            print(f"{r['model']}: Verilog not compared: {r['verilog_error']}")
    if any(r.get("verilog_error") for r in ordered):
        agree_text = "not known (a simulation failed, above)" if agree_ok(ordered) else "NO"
    else:
        agree_text = "yes" if agree else "NO"
    print(f"fpga-sim, Verilog (Icarus) and csim agree bit for bit on every checked image: {agree_text}")
    print(f"wall time {time.perf_counter() - start:.0f} s")
    best = best_k4(ordered, recorded, "yosys_lut" if synth else "model_lut")
    source = "" if synth else " (cost model LUTs: synthesis skipped)"
    for b in best:
        if b["model"] is None:
            print(f"{b['network']}: no K=4 configuration within {WITHIN_POINTS:g} point of the XNOR baseline")
        else:
            print(f"{b['network']}: {b['model']}: {b['ratio']:.2f}x fewer LUTs{source}, {b['points']:+.2f} points")
    if args.json:
        args.json.write_text(json.dumps({"models": ordered, "best_k4": best, "complete": True}, indent=2) + "\n")
    winners = [b for b in best if b["model"] is not None]
    if not synth:
        print("LUTNet K=4: no yosys figures in this run (--skip-synthesis)")
    elif winners:
        top = max(winners, key=lambda b: b["ratio"])
        print(
            f"LUTNet K=4: {top['ratio']:.2f}x fewer LUTs than the XNOR baseline at {top['points']:+.2f} points accuracy"
        )
    elif not any(b["model"] is None for b in best):
        print("LUTNet K=4: no XNOR baseline measured in this run to compare with (add <net>_xnor to --models)")
    else:
        print(f"LUTNet K=4: no configuration within {WITHIN_POINTS:g} point of the XNOR baseline accuracy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
