#!/usr/bin/env python3
"""How fast the ONNX frontend imports: the example corpus and a ResNet-50-sized graph.

    python benchmarks/import_speed.py [--repeat 5] [--output FILE]

For each model: the median over `--repeat` runs of `import_onnx` (parse,
shape inference, lowering, verification; nothing written) and of writing
the result (IR text + weights sidecar).  `resnet50_like` (53 convs + BN,
~25.6 M parameters, ~100 MB of float weights) is built in a temporary
directory with examples/models/build_models.py.  The target is < 2 s for the
ResNet-50-sized import.  Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "examples" / "models"


def _builder():
    spec = importlib.util.spec_from_file_location("build_models", MODELS / "build_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _median_time(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(path: Path, repeat: int, out_dir: Path) -> dict[str, object]:
    from fpga_opt.frontend.onnx_import import import_onnx, write_import

    import_s, imported = _median_time(lambda: import_onnx(path), repeat)
    ops = len(list(imported.func.body.block.ops)) - 1
    params = sum(int(a.size) for a in imported.weights.values())
    write_s, _ = _median_time(lambda: write_import(imported, out_dir / f"{path.stem}.mlir"), repeat)
    return {
        "model": path.stem,
        "MB": path.stat().st_size / 1e6,
        "ops": ops,
        "params": params,
        "import_s": import_s,
        "write_s": write_s,
    }


def table(rows: list[dict[str, object]]) -> str:
    from fpga_opt.tools.tables import render

    header = ["model", "ONNX MB", "ops", "params", "import s", "write s"]
    body = [
        [
            f"{r['model']}",
            f"{r['MB']:.2f}",
            f"{r['ops']}",
            f"{r['params']:,}",
            f"{r['import_s']:.3f}",
            f"{r['write_s']:.3f}",
        ]
        for r in rows
    ]
    return render(header, body, right=set(range(1, 6)), markdown=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per model (the median is reported)")
    parser.add_argument("--output", type=Path, help="also write the table to this file")
    parser.add_argument("--no-resnet50", action="store_true", help="only the example corpus")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.no_resnet50:
            build = _builder()
            big = tmp / "resnet50_like.onnx"
            big.write_bytes(build.serialize(build.resnet50_like()))
            rows.append(measure(big, args.repeat, tmp / "out"))
        for path in sorted(MODELS.glob("*.onnx")):
            rows.append(measure(path, args.repeat, tmp / "out"))
    text = (
        f"ONNX import speed (median of {args.repeat}; import = parse + shape inference + lowering + verify, "
        "write = IR text + weights sidecar)\n\n" + table(rows)
    )
    print(text)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
