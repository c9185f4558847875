"""Off-chip weights in HLS: m_axi burst readers and OVSF generators, bit-exact with fpga-sim in csim."""

from __future__ import annotations

import numpy as np
import pytest
from hls_csim_support import REPO, csim
from xdsl.dialects.func import FuncOp

from fpga_opt.backend.hls.emit import build_project, table_values
from fpga_opt.backend.target.boards import get_board
from fpga_opt.dialects import make_context
from fpga_opt.frontend.onnx_import import import_onnx
from fpga_opt.passes.analysis.placement import set_placement, share_dram, weight_layers
from fpga_opt.passes.lower_dataflow_to_hls import LowerDataflowToHlsPass


def _placed(placements: dict[int, str], ratio: float = 0.5):
    imported = import_onnx(REPO / "examples" / "models" / "lenet5_int8.onnx")
    func = next(op for op in imported.module.walk() if isinstance(op, FuncOp))
    layers = weight_layers(func)
    for index, placement in placements.items():
        kind, _, coefficients = placement.partition("-")
        set_placement(layers[index], kind, ratio=ratio, block=1, coef_bits=8, coefficients=coefficients or "onchip")
    share_dram(func, get_board("kv260"))
    imported.module.verify()
    return imported.module, dict(imported.weights), func


def test_streamed_tables_are_m_axi_arguments_filled_from_dram_files():
    module, weights, _ = _placed({1: "dram", 4: "dram"})
    LowerDataflowToHlsPass(board="kv260").apply(make_context(), module)
    project = build_project(module, weights)
    top, tb = project.files["top.cpp"], project.files["tb.cpp"]
    dram = [w for w in project.design.weights() if w.storage.data == "dram"]
    assert len(dram) == 2
    for table in dram:
        name = table.sym_name.data
        assert f"const int8_t* {name}" in top
        assert f"#pragma HLS INTERFACE m_axi port={name} offset=slave" in top
        assert f'read_file("dram_{name}.bin"' in tb
        values = np.frombuffer(project.files[f"dram_{name}.bin"], dtype=np.int8)
        np.testing.assert_array_equal(values, table_values(table, weights).ravel())
        assert name not in project.files["weights.cpp"]
    assert top.count("fpga_opt::dram_read<") == 2 and top.count("fpga_opt::from_stream(") == 2


@pytest.mark.slow
@pytest.mark.parametrize(
    "placements",
    [
        {1: "dram", 4: "dram"},
        {0: "generated", 1: "generated", 3: "generated", 4: "dram"},
        {1: "generated-dram", 3: "generated", 4: "generated-dram"},
    ],
    ids=["streamed", "generated", "generated-coefficients-in-dram"],
)
def test_offchip_weights_csim_is_bit_exact(tmp_path, placements):
    module, weights, func = _placed(placements)
    h, w, c = func.body.block.args[0].type.dims
    x = np.random.default_rng(0).integers(-128, 128, (4, h, w, c)).astype(np.int8)
    result = csim(module, weights, [x], tmp_path, pipeline="lower-dataflow-to-hls")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS: 4 frame(s), 40 output values bit-exact against expected.bin" in result.stdout


def test_generator_coefficients_in_dram_are_m_axi_tables():
    module, weights, _ = _placed({1: "generated-dram", 3: "generated"})
    LowerDataflowToHlsPass(board="kv260").apply(make_context(), module)
    project = build_project(module, weights)
    top = project.files["top.cpp"]
    dram = sorted(w.sym_name.data for w in project.design.weights() if w.storage.data == "dram")
    assert len(dram) == 2 and any("coefficients" in n for n in dram) and any("codes" in n for n in dram)
    for name in dram:
        assert f"#pragma HLS INTERFACE m_axi port={name} offset=slave" in top
        assert f"dram_{name}.bin" in project.files
        assert name not in project.files["weights.cpp"]
    # the on-chip generator keeps its tables in weights.cpp
    assert top.count("fpga_opt::ovsf_generate<") == 2 and "coefficients" in project.files["weights.cpp"]
