"""One HLS project per partition: chained test vectors, the host run order, csim of every partition (fpga-compile)."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from hls_csim_support import REPO, skip_without_csim
from xdsl.dialects.func import FuncOp

from fpga_opt.backend.hls.partitions import write_partition_projects
from fpga_opt.dialects import make_context
from fpga_opt.frontend.onnx_import import import_onnx
from fpga_opt.passes.partition import PartitionPass
from fpga_opt.tools.compile_partitions import partition_projects

MODEL = REPO / "examples" / "models" / "resnet8_int8.onnx"
# ResNet-8 on a KV260 cut down to 24 RAMB18s and 12k LUTs: three partitions at max-util 0.75 (LUT ROMs hold weights too)
BOARD = 'base = "kv260"\nbram18 = 24\nuram = 0\nlut = 12000\nbitstream_bits = 1024000\nconfig_gbps = 6.4\n'


def test_each_partition_gets_a_project_whose_inputs_are_the_previous_outputs(tmp_path):
    imported = import_onnx(MODEL)
    module, weights = imported.module, dict(imported.weights)
    (tmp_path / "b.toml").write_text(BOARD)
    PartitionPass(board_file=str(tmp_path / "b.toml"), max_util=0.75).apply(make_context(), module)
    func = next(op for op in module.walk() if isinstance(op, FuncOp))
    h, w, c = func.body.block.args[0].type.dims
    x = np.random.default_rng(1).integers(-128, 128, (2, h, w, c)).astype(np.int8)
    projects = partition_projects(module, weights, inputs=[x])
    names = sorted(k for k in projects if k.startswith("p"))
    assert names == ["p0", "p1", "p2"]
    for before, after in zip(names, names[1:], strict=False):
        assert projects[before].files["expected.bin"] == projects[after].files["inputs.bin"]
    readme = projects["README.md"]
    assert readme.index("run `p0`") < readme.index("run `p1`") < readme.index("run `p2`")
    assert "configure the device with `p1`'s bitstream (0.16 ms at 250 MHz)" in readme
    assert "The batch's results are in buffer B." in readme
    assert "PARTITIONS := p0 p1 p2" in projects["Makefile"]
    written = write_partition_projects(projects, tmp_path / "hls")
    assert (tmp_path / "hls" / "p2" / "top.cpp") in written and (tmp_path / "hls" / "README.md") in written


@pytest.mark.slow
def test_fpga_compile_partition_path_passes_csim_for_every_partition(tmp_path):
    skip_without_csim()
    import subprocess

    (tmp_path / "b.toml").write_text(BOARD)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "fpga_opt.tools.fpga_compile", str(MODEL), "--board", str(tmp_path / "b.toml")]
    result = subprocess.run(
        [*cmd, "--weights", "partition", "-o", str(out), "--frames", "2"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((out / "report.json").read_text())["design"]
    assert report["csim_passed"] and report["csim"].count("PASS") == 3
    schedule = report["schedule"]
    assert schedule["partitions"] == 3 and schedule["batch"] > 1 and schedule["fps"] > 0
    assert "binds:" in result.stdout and "batch latency" in result.stdout
