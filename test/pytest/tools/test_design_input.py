"""Every tool takes a design the same way: `.onnx` wherever `.mlir`; `.npz` inputs keyed as fpga-profile-exits reads them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.tools import fpga_report, fpga_sim, fpga_translate
from fpga_opt.tools.design_input import load_design

REPO = Path(__file__).resolve().parents[3]
LENET = REPO / "examples/models/lenet5_int8.onnx"


def _sim_outputs(tmp_path, model, data, name):
    out = tmp_path / f"{name}.npz"
    fpga_sim.main([str(model), "-i", str(data), "-o", str(out), "--frames", "2", "--quiet"])
    with np.load(out) as arrays:
        return {key: arrays[key] for key in arrays.files}


def test_fpga_sim_reads_onnx_as_its_import_and_npz_x_as_npy(tmp_path):
    x = np.random.default_rng(3).normal(size=(2, 1, 28, 28)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    # the layout fpga-profile-exits reads (and examples/early_exit/digits_test.npz has): samples x, labels y
    np.savez(tmp_path / "data.npz", x=x, y=np.array([3, 7]))
    fpga_translate.main(["--import-onnx", str(LENET), "-o", str(tmp_path / "lenet.mlir")])

    from_ir = _sim_outputs(tmp_path, tmp_path / "lenet.mlir", tmp_path / "x.npy", "ir")
    from_onnx = _sim_outputs(tmp_path, LENET, tmp_path / "x.npy", "onnx")
    from_npz = _sim_outputs(tmp_path, tmp_path / "lenet.mlir", tmp_path / "data.npz", "npz")
    assert from_ir.keys() == from_onnx.keys() == from_npz.keys()
    for key, value in from_ir.items():
        assert value.shape[0] == 2 and np.any(value != 0)
        np.testing.assert_array_equal(from_onnx[key], value)
        np.testing.assert_array_equal(from_npz[key], value)
    assert not list(REPO.glob("examples/models/lenet5_int8.weights.npz")), "no sidecar written beside the model"


def test_fpga_report_reads_onnx(tmp_path, capsys):
    fpga_report.main([str(LENET), "--json", str(tmp_path / "r.json")])
    assert "predicted" in capsys.readouterr().out and (tmp_path / "r.json").is_file()


def test_a_broken_onnx_file_is_one_error(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a protobuf")
    with pytest.raises(FpgaOptError):
        load_design(bad)


def test_fpga_profile_exits_asks_for_the_imported_ir(tmp_path):
    from fpga_opt.tools import fpga_profile_exits

    np.savez(tmp_path / "d.npz", x=np.zeros((1, 1, 28, 28), np.float32))
    with pytest.raises(SystemExit) as stop:
        fpga_profile_exits.main([str(LENET), "--data", str(tmp_path / "d.npz")])
    assert stop.value.code == 1


def test_fpga_trace_reads_npz_x_as_the_other_tools_do(tmp_path):
    """An x/y data set (fpga-profile-exits' layout) feeds fpga-trace as it feeds fpga-sim: the same samples as
    the .npy of x (the model's input is named `input`, not `x`)."""
    import json

    from fpga_opt.tools import fpga_trace

    x = np.random.default_rng(5).normal(size=(3, 1, 28, 28)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.savez(tmp_path / "data.npz", x=x, y=np.array([1, 2, 3]))
    reports = []
    for name in ("x.npy", "data.npz"):
        out = tmp_path / f"{name}.json"
        fpga_trace.main([str(LENET), "-i", str(tmp_path / name), "--json", str(out), "-q"])
        reports.append(json.loads(out.read_text()))
    assert reports[0]["layers"] == reports[1]["layers"] and len(reports[0]["layers"]) > 3
    np.savez(tmp_path / "two.npz", a=x, b=x)
    with pytest.raises(SystemExit) as stop:  # which array is the input is not guessed
        fpga_trace.main([str(LENET), "-i", str(tmp_path / "two.npz"), "-q"])
    assert stop.value.code == 1
