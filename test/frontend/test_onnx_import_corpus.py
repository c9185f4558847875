"""Every example model imports, verifies, round-trips, matches onnxruntime, and imports deterministically."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx_builders import MODELS, ort_run, to_onnx_layout
from reference_eval import run_nchw
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin
from xdsl.dialects.func import Func
from xdsl.parser import Parser

from fpga_opt.dialects.dataflow import Dataflow
from fpga_opt.dialects.weights import WeightStore
from fpga_opt.frontend.onnx_import import import_onnx, module_text, write_import

pytest.importorskip("onnxruntime")

NAMES = ["lenet5", "resnet8", "resnet20", "mobilenet_block", "blenet"]
CORPUS = [*NAMES, *(f"{n}_int8" for n in NAMES)]
N_INPUTS = 4


def _path(name: str):
    path = MODELS / f"{name}.onnx"
    if not path.exists():
        pytest.skip(f"{path} not built (run examples/models/build_models.py)")
    return path


_cache: dict[str, object] = {}


def _imported(name: str):
    if name not in _cache:
        _cache[name] = import_onnx(_path(name))
    return _cache[name]


def _context() -> Context:
    ctx = Context()
    for dialect in (Builtin, Func, Dataflow):
        ctx.load_dialect(dialect)
    return ctx


@pytest.mark.parametrize("name", CORPUS)
def test_imports_verifies_and_round_trips(name):
    imported = _imported(name)
    imported.module.verify()
    text = module_text(imported.module)
    reparsed = Parser(_context(), text).parse_module()
    reparsed.verify()
    assert module_text(reparsed) == text


@pytest.mark.parametrize("name", CORPUS)
def test_numerics_match_onnxruntime(name):
    imported = _imported(name)
    model = onnx.load(_path(name))
    (inp,) = model.graph.input
    shape = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    rng = np.random.default_rng(42)
    quantised = name.endswith("_int8")
    for _ in range(N_INPUTS):
        x = rng.standard_normal(shape, dtype=np.float32)
        expected = ort_run(model, {inp.name: x})
        got = run_nchw(imported.module, imported.weights, [x])
        for y, ref in zip(got, expected, strict=True):
            y = to_onnx_layout(y, ref)
            if quantised:
                # integer outputs times the output scale equal onnxruntime's floats exactly
                np.testing.assert_array_equal(y, ref.astype(np.float64))
            else:
                np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4 * float(np.max(np.abs(ref))))


@pytest.mark.parametrize("name", ["resnet8", "resnet8_int8", "blenet_int8"])
def test_import_is_deterministic(name, tmp_path):
    first = write_import(import_onnx(_path(name)), tmp_path / "a" / f"{name}.mlir")
    second = write_import(import_onnx(_path(name)), tmp_path / "b" / f"{name}.mlir")
    assert (tmp_path / "a" / f"{name}.mlir").read_bytes() == (tmp_path / "b" / f"{name}.mlir").read_bytes()
    assert first.read_bytes() == second.read_bytes()


def test_sidecar_holds_every_named_tensor(tmp_path):
    imported = import_onnx(_path("resnet20_int8"))
    write_import(imported, tmp_path / "r20.mlir")
    text = (tmp_path / "r20.mlir").read_text()
    assert 'dataflow.weights = "r20.weights.npz"' in text
    store = WeightStore.for_module(imported.module, tmp_path)
    named = set()
    for op in imported.func.body.block.ops:
        for prop in ("weights", "bias"):
            if prop in op.properties:
                named.add(op.properties[prop].data)
    assert named == set(store)
    for key in named:
        if key.endswith(".w"):
            assert store[key].dtype == np.int8
        else:
            assert store[key].dtype in (np.int16, np.int32)


def test_func_attributes():
    blenet = _imported("blenet_int8").func
    assert [a.data for a in blenet.attributes["dataflow.output_names"].data] == ["exit0", "exit1"]
    assert blenet.attributes["dataflow.exits"].value.data == 2
    assert len(blenet.attributes["dataflow.output_scales"].data) == 2
    lenet = _imported("lenet5").func
    assert "dataflow.input_scales" not in lenet.attributes
    assert "dataflow.exits" not in lenet.attributes
    assert lenet.sym_name.data == "lenet5"


def test_every_op_has_a_unique_layer_and_every_value_one_use():
    for name in ("resnet20", "resnet20_int8", "blenet"):
        func = _imported(name).func
        layers = [op.properties["layer"].data for op in func.body.block.ops if "layer" in op.properties]
        assert len(layers) == len(set(layers)) == len(list(func.body.block.ops)) - 1
        for op in func.body.block.ops:
            for result in op.results:
                assert result.has_one_use(), (name, op.name)
        for arg in func.body.block.args:
            assert arg.has_one_use()


@pytest.mark.parametrize("name", CORPUS)
def test_interpreter_agrees(name):
    """fpga-sim's functional model (backend/sim) gives the reference evaluator's (and onnxruntime's) outputs."""
    import fpga_opt.backend.sim as sim

    imported = _imported(name)
    model = onnx.load(_path(name))
    (inp,) = model.graph.input
    shape = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    x = np.random.default_rng(7).standard_normal(shape, dtype=np.float32)
    ours = run_nchw(imported.module, imported.weights, [x])
    theirs = sim.run_functional(imported.module, imported.weights, [x], layout="nchw", dequantize=True)
    expected = ort_run(model, {inp.name: x})
    for a, b, ref in zip(ours, theirs, expected, strict=True):
        b = np.asarray(b)[0]  # one sample of the batch, H x W x C
        if name.endswith("_int8"):
            np.testing.assert_array_equal(b.astype(np.float64), a)
        else:
            np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5 * float(np.max(np.abs(ref))))
