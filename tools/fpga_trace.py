"""`fpga-trace`: layer by layer, does the imported design compute what onnxruntime computes?

    fpga-trace model.onnx [--input x.npy | --samples N --seed S] [--json trace.json] [--check]

Imports the model (as `fpga-translate --import-onnx` does), runs it in
onnxruntime with graph optimisation disabled and every intermediate tensor
exposed, runs the imported IR in fpga-sim's functional model on the same
inputs, and compares each layer with the ONNX tensor it computes
(`dataflow.onnx_tensors`, written by the importer).  Per layer it prints the
share of values equal and the largest difference (integers: in LSBs of the
layer's output scale; floats: relative), both with the layer fed the
reference's own input tensors ("isolated") and with the whole design running
on its own values ("chained"), then the first layer that diverges and the
end-to-end top-1 agreement.  `--json` writes the same as JSON.  `--check`
exits 1 unless every integer layer (isolated) has >= 99.9% of its values
equal and none more than 1 LSB apart, float layers are within 1e-5 relative,
and the top-1 class agrees on >= 99.5% of the inputs.

Without `--input` the inputs are `--samples` images of normal noise (seeded),
generated here: no dataset is downloaded.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from fpga_opt.dialects.errors import FpgaOptError, check_range
from fpga_opt.dialects.files import check_output_file, write_atomically
from fpga_opt.dialects.progress import set_quiet
from fpga_opt.tools.diagnostics import tool_main
from fpga_opt.tools.tables import render

MIN_EQUAL = 0.999
MAX_LSB = 1.0
FLOAT_MAX_REL = 1e-5
MIN_TOP1 = 0.995
MAX_SAMPLES = 10_000
"""Upper bound of --samples: each runs through onnxruntime and the interpreter, layer by layer."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fpga-trace", description="Per-layer comparison of an imported ONNX model with onnxruntime."
    )
    p.add_argument("model", help="an ONNX model (float, QDQ, QOperator or QONNX)")
    p.add_argument(
        "--input",
        "-i",
        help="input images: .npy (batch, NCHW) or .npz (by input name, else 'input'/'x', else the only array)",
    )
    p.add_argument("--samples", "-n", type=int, default=8, help="generated inputs without --input (default 8)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated inputs (default 0)")
    p.add_argument("--json", help="write the trace to this .json file")
    p.add_argument("--check", action="store_true", help="exit 1 unless the figures meet the thresholds (see --help)")
    p.add_argument(
        "--input-shape", action="append", default=[], metavar="NAME:1xCxHxW", help="static shape of a dynamic input"
    )
    p.add_argument(
        "--quiet", "-q", action="store_true", help="no per-layer table (only the summary) and no progress bar"
    )
    return p


def _inputs(args, names: list[str], shapes: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    if args.input:
        from fpga_opt.backend.sim.boundary import load_inputs, select_arrays

        data = load_inputs(args.input)
        arrays = data if isinstance(data, dict) else {names[0]: data}
        # the tools' .npz convention: by input name, else input<i>, else (one input) input, x or the only array
        chosen = select_arrays(arrays, len(names), str(args.input), names)
        return {
            n: _batch(args.input, n, np.asarray(a, dtype=np.float32), shapes[n])
            for n, a in zip(names, chosen, strict=True)
        }
    if args.samples < 1:
        raise FpgaOptError(f"--samples must be at least 1, got {args.samples}")
    rng = np.random.default_rng(args.seed)
    return {n: rng.standard_normal((args.samples, *shapes[n][1:])).astype(np.float32) for n in names}


def _batch(source: str, name: str, array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """`array` as a batch of the model's input `shape` (one sample gets a batch axis), or one line."""
    sample = tuple(shape[1:])
    if array.shape == sample:
        return array[None]
    if array.ndim == len(shape) and array.shape[1:] == sample and len(array) > 0:
        return array
    wanted = "x".join(str(d) for d in sample)
    raise FpgaOptError(
        f"{source}: input '{name}' has shape {array.shape}; the model takes a batch Nx{wanted} (or one {wanted} sample)"
    )


def _top1_disagreements(ours: list[np.ndarray], theirs: list[np.ndarray], lsb: float | None) -> list[dict] | None:
    """The inputs whose argmax over the first output's channels differs (None for a 1-channel output).

    Each with the two classes and the reference's own margin between them: in LSBs of the output
    scale for an integer output (`lsb`), else relative to the input's largest reference value.  A
    margin of 0 or 1 LSB is a tie, or one rounding step, at the output's resolution.
    """
    a, b = ours[0].reshape(len(ours[0]), -1), theirs[0].reshape(len(theirs[0]), -1)
    if a.shape[1] < 2:
        return None
    mine, ref = a.argmax(1), b.argmax(1)
    found = []
    for i in np.flatnonzero(mine != ref):
        gap = float(b[i, ref[i]] - b[i, mine[i]])
        scale = lsb if lsb else float(np.abs(b[i]).max()) or 1.0
        found.append({"input": int(i), "ours": int(mine[i]), "reference": int(ref[i]), "reference_margin": gap / scale})
    return found


def run(args: argparse.Namespace) -> int:
    from fpga_opt.frontend.loader import load_graph
    from fpga_opt.frontend.onnx_import import parse_input_shapes

    path = Path(args.model)
    if not path.exists():
        raise FpgaOptError(f"{path}: no such file")
    shapes = parse_input_shapes(args.input_shape)
    graph = load_graph(path, shapes)
    names = [name for name, _, _ in graph.inputs]
    inputs = _inputs(args, names, {name: shape for name, shape, _ in graph.inputs})
    source = args.input or f"{args.samples} generated (normal noise, seed {args.seed})"
    summary = trace_model(path, inputs, shapes, source)
    if args.json:
        write_atomically(args.json, json.dumps(summary, indent=2) + "\n")
    sys.stdout.write(format_trace(summary, quiet=args.quiet))
    if args.check:
        failures = check(summary)
        if failures:
            raise FpgaOptError(f"{path}: " + "; ".join(failures))
    return 0


CHUNK = 16
"""Inputs traced at once: every intermediate tensor of a 224x224 network, onnxruntime's and the
interpreter's, for a few hundred inputs does not fit in memory; chunks of this many do."""


def trace_model(
    path: Path, inputs: dict[str, np.ndarray], shapes=None, source: str = "given", chunk: int = CHUNK
) -> dict:
    """The trace of the ONNX model at `path` on `inputs` (input name -> NCHW batch), as the JSON summary.

    The inputs run `chunk` at a time; the figures are over all of them (a layer's share of values
    equal weights every value alike, its largest difference is the largest over every chunk).
    """
    from fpga_opt.backend.sim import FunctionalModel, elaborate
    from fpga_opt.backend.sim.boundary import dequantise, prepare_inputs
    from fpga_opt.backend.sim.compare import Reference, Trace, trace
    from fpga_opt.frontend import tensor_map
    from fpga_opt.frontend.loader import load_graph
    from fpga_opt.frontend.onnx_import import import_onnx
    from fpga_opt.frontend.reference import ReferenceSession

    imported = import_onnx(path, shapes, record_tensors=True)
    graph = load_graph(path, shapes)
    net = elaborate(imported.module)
    names = [name for name, _, _ in graph.inputs]
    mapping = tensor_map.read(net.func)
    session = ReferenceSession(path, [entry[0] for entry in mapping.values()])
    model = FunctionalModel(net, imported.weights)
    samples = len(inputs[names[0]])
    chunk = max(1, chunk)
    parts: list[Trace] = []
    compared = 0
    flips: list[dict] = []
    lsb = net.output_scales[0] if net.output_types[0].is_integer and net.output_scales else None
    top = {name: [0.0, 0.0] for name in graph.outputs}  # output -> [max |ours - theirs|, max |theirs|]
    for start in range(0, samples, chunk):
        batch = {n: inputs[n][start : start + chunk] for n in names}
        reference = session.run(batch)
        references = {
            layer: Reference(reference[tensor], kind, scale, zero_point, tensor)
            for layer, (tensor, kind, scale, zero_point) in mapping.items()
            if tensor in reference
        }
        prepared = prepare_inputs(net, [batch[n] for n in names], layout="nchw")
        values = model.evaluate(prepared)
        parts.append(trace(model, prepared, references, values))
        ours = dequantise([values[v] for v in net.outputs], net)
        theirs = [reference[name] for name in graph.outputs]
        found = _top1_disagreements(ours, theirs, lsb)
        if found is not None:
            compared += len(ours[0])
            flips += [{**f, "input": f["input"] + start} for f in found]
        for name, o, t in zip(graph.outputs, ours, theirs, strict=True):
            top[name][0] = max(top[name][0], float(np.abs(o.reshape(t.shape) - t).max(initial=0.0)))
            top[name][1] = max(top[name][1], float(np.abs(t).max(initial=0.0)))
        del reference, references, values
    result = Trace.combine(parts)
    end_rel = max(d / (t or 1.0) for d, t in top.values())
    return {
        "model": str(path),
        "inputs": source,
        "samples": int(samples),
        "reference": "onnxruntime, graph optimisation disabled",
        **result.as_dict(),
        "worst_isolated": dict(zip(("equal", "max_lsb"), result.worst("isolated"), strict=True)),
        "worst_chained": dict(zip(("equal", "max_lsb"), result.worst("chained"), strict=True)),
        "end_to_end": {
            "top1_agree": (compared - len(flips)) / compared if compared else None,
            "max_rel_diff": end_rel,
            "top1_margin_unit": "lsb" if lsb else "relative",
            "top1_disagreements": flips,
        },
    }


def check(summary: dict) -> list[str]:
    """What misses the thresholds (module docstring), one phrase each."""
    failures = []
    for t in summary["layers"]:
        iso = t["isolated"]
        if t["kind"] == "float":
            if iso["max_diff"] > FLOAT_MAX_REL:
                failures.append(f"layer {t['layer']}: relative difference {iso['max_diff']:.2e} > {FLOAT_MAX_REL:g}")
        elif iso["equal"] < MIN_EQUAL or iso["max_diff"] > MAX_LSB:
            failures.append(
                f"layer {t['layer']}: {100 * iso['equal']:.2f}% equal, max {iso['max_diff']:.2f} LSB "
                f"(needs >= {100 * MIN_EQUAL:g}% and <= {MAX_LSB:g} LSB)"
            )
    top1 = summary["end_to_end"]["top1_agree"]
    if top1 is not None and top1 < MIN_TOP1:
        failures.append(f"top-1 agrees on {100 * top1:.1f}% of inputs (needs >= {100 * MIN_TOP1:g}%)")
    return failures


def _fmt(a: dict, kind: str) -> tuple[str, str]:
    diff = f"{a['max_diff']:.2e}" if kind == "float" else f"{a['max_diff']:.2f}"
    return f"{100 * a['equal']:.2f}", diff


def format_trace(summary: dict, quiet: bool = False) -> str:
    lines = [
        f"fpga-trace: {summary['model']}: {summary['samples']} input(s) ({summary['inputs']}); "
        f"reference {summary['reference']}"
    ]
    if not quiet:
        header = ("layer", "op", "kind", "iso equal%", "iso max", "chain equal%", "chain max", "onnx tensor")
        rows = [
            (t["layer"], t["op"].split(".")[-1], t["kind"], *_fmt(t["isolated"], t["kind"]),
             *_fmt(t["chained"], t["kind"]), t["tensor"])
            for t in summary["layers"]
        ]  # fmt: skip
        lines.append(render(header, rows, right={3, 4, 5, 6}))
        lines.append("(max: integers in LSBs of the layer's output scale, floats relative to the largest value)")
    first = summary["first_divergence"]
    lines.append(f"first layer that diverges: isolated {first['isolated'] or '-'}, chained {first['chained'] or '-'}")
    wi, wc = summary["worst_isolated"], summary["worst_chained"]
    lines.append(
        f"integer layers, worst: isolated {100 * wi['equal']:.3f}% equal, {wi['max_lsb']:.2f} LSB; "
        f"chained {100 * wc['equal']:.3f}% equal, {wc['max_lsb']:.2f} LSB"
    )
    end = summary["end_to_end"]
    top1 = "-" if end["top1_agree"] is None else f"{100 * end['top1_agree']:.1f}%"
    lines.append(f"end to end: top-1 agrees on {top1} of inputs, max relative difference {end['max_rel_diff']:.2e}")
    flips = end.get("top1_disagreements") or []
    if flips:
        unit = " LSB" if end.get("top1_margin_unit") == "lsb" else " (relative)"
        worst = max(f["reference_margin"] for f in flips)
        lines.append(
            f"top-1 differs on {len(flips)} input(s); the reference's own margin between its class and ours: "
            f"at most {worst:.3g}{unit}"
        )
    return "\n".join(lines) + "\n"


@tool_main("fpga-trace")
def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    set_quiet(args.quiet)
    check_range("--samples", "the sample count", args.samples, 1, MAX_SAMPLES)
    check_range("--seed", "the seed", args.seed, 0, 2**63 - 1)
    if args.json is not None:
        check_output_file(args.json, "--json", inputs=(args.model, args.input))
    return run(args)


if __name__ == "__main__":
    main()
