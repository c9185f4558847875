"""The example corpus: fpga-sim against onnxruntime, through the pass pipeline, and against the cost model.

Three executions must agree (DESIGN.md): here onnxruntime and the simulator.  Floats agree within
1e-4 relative, int8 models exactly after dequantisation.  Timing: with FIFOs deep enough to
decouple the layers, the simulated interval equals the analytical model's (slowest layer) within
5%, at the imported (default) folding and at the one select-folding picks.  With the default
2-word FIFOs a design can only be slower; the ratios are recorded in docs/simulator.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.dialects.func import Func

from fpga_opt.backend.sim import elaborate, run_functional, simulate_timing
from fpga_opt.backend.sim.boundary import to_layout
from fpga_opt.dialects.dataflow import BufferOp, Dataflow
from fpga_opt.frontend.onnx_import import import_onnx

ort = pytest.importorskip("onnxruntime")

MODELS = Path(__file__).resolve().parents[3] / "examples" / "models"
NAMES = ["lenet5", "resnet8", "resnet20", "mobilenet_block", "blenet"]
CORPUS = [*NAMES, *(f"{n}_int8" for n in NAMES)]
N_INPUTS = 4
PIPELINE = ("dataflow-canonicalize", "merge-loops", "minimize-residual-buffers", "select-folding")

#: select-folding's board: the KV260, except for the float ResNet-20, whose 8.7 Mbit of float32
#: weights fit neither the KV260's block RAM nor (as a ROM) its UltraRAM, which the bitstream
#: cannot initialise; the ZCU102 holds them in block RAM.
BOARD = {"resnet20": "zcu102"}

_imported: dict[str, object] = {}
_optimised: dict[str, ModuleOp] = {}


def _path(name: str) -> Path:
    path = MODELS / f"{name}.onnx"
    if not path.exists():
        pytest.skip(f"{path} not built (run examples/models/build_models.py)")
    return path


def imported(name: str):
    if name not in _imported:
        _imported[name] = import_onnx(_path(name))
    return _imported[name]


def optimised(name: str) -> ModuleOp:
    """The imported module after the pass pipeline (select-folding for the KV260, or BOARD's)."""
    if name not in _optimised:
        from fpga_opt.passes import load_pass

        ctx = Context()
        for dialect in (Builtin, Func, Dataflow):
            ctx.load_dialect(dialect)
        module = imported(name).module.clone()
        for pass_name in PIPELINE:
            options = {"board": BOARD.get(name, "kv260")} if pass_name == "select-folding" else {}
            load_pass(pass_name)(**options).apply(ctx, module)
            module.verify()
        _optimised[name] = module
    return _optimised[name]


def _inputs(name: str) -> np.ndarray:
    model = onnx.load(_path(name))
    (inp,) = model.graph.input
    shape = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    rng = np.random.default_rng(7)
    return rng.standard_normal([N_INPUTS, *shape[1:]], dtype=np.float32)


def _onnxruntime(name: str, xs: np.ndarray) -> list[np.ndarray]:
    session = ort.InferenceSession(str(_path(name)), providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    runs = [session.run(None, {input_name: xs[i : i + 1]}) for i in range(len(xs))]
    return [np.concatenate([r[k] for r in runs]) for k in range(len(runs[0]))]


def _compare(name: str, got: list[np.ndarray], expected: list[np.ndarray]) -> None:
    assert len(got) == len(expected)
    for y, ref in zip(got, expected, strict=True):
        y = to_layout(y, "nchw").reshape(ref.shape)
        if name.endswith("_int8"):
            np.testing.assert_array_equal(y, ref)
        else:
            np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4 * float(np.max(np.abs(ref))))


@pytest.mark.parametrize("name", CORPUS)
def test_outputs_match_onnxruntime(name):
    xs = _inputs(name)
    imp = imported(name)
    got = run_functional(imp.module, imp.weights, xs, dequantize=name.endswith("_int8"))
    _compare(name, got, _onnxruntime(name, xs))


@pytest.mark.parametrize("name", CORPUS)
def test_pass_pipeline_keeps_outputs(name):
    """Integer designs stay bit-exact; float ones round once less where merge-loops fuses an add."""
    xs = _inputs(name)
    weights = imported(name).weights
    before = run_functional(imported(name).module, weights, xs)
    after = run_functional(optimised(name), weights, xs)
    for a, b in zip(before, after, strict=True):
        if name.endswith("_int8"):
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * float(np.max(np.abs(a))))


@pytest.mark.parametrize("folding", ["default", "selected"])
@pytest.mark.parametrize("name", CORPUS)
def test_decoupled_timing_matches_the_analytical_model(name, folding):
    module = imported(name).module if folding == "default" else optimised(name)
    report = simulate_timing(elaborate(module), frames=6, fifo_depth=None)
    assert report.deadlock is None
    assert report.cycles_per_frame == pytest.approx(report.model_cycles_per_frame, rel=0.05)


@pytest.mark.parametrize("name", CORPUS)
def test_optimised_designs_run_with_default_fifos(name):
    """After minimize-residual-buffers every skip FIFO is deep enough: no deadlock at 2-word FIFOs,
    and the design is never faster than its slowest layer."""
    report = simulate_timing(elaborate(optimised(name)), frames=6)
    assert report.deadlock is None, report.deadlock.message()
    assert report.cycles_per_frame >= 0.99 * report.model_cycles_per_frame


@pytest.mark.parametrize("name", ["resnet8", "resnet20_int8"])
def test_imported_residual_networks_run_and_deadlock_without_their_skip_fifos(name):
    """As imported, the skip into each add has a full-tensor FIFO and the design runs; without it, the
    residual fork feeds the add through a 2-word FIFO and the loop is reported with the fix to try."""
    module = imported(name).module.clone()  # the cached import stays intact for the other tests
    assert simulate_timing(elaborate(module), frames=3).deadlock is None
    for op in list(module.walk()):
        if isinstance(op, BufferOp):
            op.results[0].replace_all_uses_with(op.operands[0])
            op.detach()
            op.erase()
    report = simulate_timing(elaborate(module), frames=3)
    assert report.deadlock is not None
    first = report.deadlock.loop[0]
    assert first[0].endswith(".fork") and first[1] == "cannot write to full FIFO" and "add" in first[2]
    assert "try: size the FIFOs" in report.deadlock.message() and "whole tensor" in report.deadlock.message()


@pytest.mark.parametrize(
    "passes",
    [
        ("select-folding",),
        ("select-folding", "merge-loops"),
        ("select-folding", "merge-loops", "minimize-residual-buffers"),
        ("dataflow-canonicalize", "merge-loops"),
    ],
    ids=lambda p: "+".join(p),
)
def test_later_passes_keep_the_imported_design_runnable(passes):
    """Issue 13: select-folding alone (the issue's deadlock), then merge-loops, ... on the imported
    ResNet-20: the design still runs in fpga-sim with default FIFOs."""
    from fpga_opt.passes import load_pass

    ctx = Context()
    for dialect in (Builtin, Func, Dataflow):
        ctx.load_dialect(dialect)
    module = imported("resnet20_int8").module.clone()
    for pass_name in passes:
        load_pass(pass_name)().apply(ctx, module)
    report = simulate_timing(elaborate(module), frames=3)
    assert report.deadlock is None, f"after {passes}: {report.deadlock.message()}"
