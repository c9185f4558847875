"""One rounding for a frame rate on every line fpga-compile prints (tools/figures.py)."""

from __future__ import annotations

import re
from pathlib import Path

from fpga_opt.backend.target.boards import get_board
from fpga_opt.tools.compile_partitions import schedule_text
from fpga_opt.tools.figures import fps_text
from fpga_opt.tools.fpga_compile import _report_text

#: ResNet-50 on a ZCU102 (docs/passes/offchip.md, section 5): bandwidth binds, 33,265,849 cycles at 250 MHz.
INTERVAL = 33_265_849
FPS = round(250e6 / INTERVAL, 3)  # 7.515


def test_small_rates_keep_a_decimal_large_ones_are_whole():
    assert [fps_text(x) for x in (7.515, 7.45, 0.04, 689.25, 999.94)] == ["7.5", "7.5", "0.0", "689.2", "999.9"]
    assert [fps_text(x) for x in (999.96, 1000.0, 1_572_327.044)] == ["1,000", "1,000", "1,572,327"]


def test_the_estimate_and_the_off_chip_line_print_one_interval_alike():
    """The report's first line said "8 FPS predicted" beside "7.5 FPS with the DRAM" for the same interval."""
    estimate = {"fps": FPS, "interval": INTERVAL, "bottleneck": "layer4.2.conv3", "latency": 1, "clock_mhz": 250.0}
    offchip = {
        "fps": FPS,
        "interval": INTERVAL,
        "compute_interval": 31_309_824,
        "dram_cycles": INTERVAL,
        "binding": "bandwidth",
        "binding_resource": "bram18 (78%)",
        "placements": {"dram": 24, "onchip": 29},
        "dram_bytes_per_frame": 1_916_100_000,
        "dram_gbps_needed": 14.4,
    }
    report = {"estimate": estimate, "offchip": offchip, "csim": "skipped"}
    text = _report_text(report, get_board("zcu102"), Path("out") / "hls")
    figures = re.findall(r"(\S+) FPS (?:predicted|with the DRAM)", text)
    assert figures == ["7.5", "7.5"], text


def test_the_partition_lines_use_the_same_rounding():
    summary = {
        "partitions": 3,
        "batch": 2,
        "fps": 4.0888,
        "batch_latency_ms": 489.1,
        "batch_cycles": 122_275_000,
        "reconfig_cycles": 2_330_974,
        "binds": "partition p1: bandwidth",
        "partition_intervals": [19_853_494, 28_326_792, 7_225_344],
        "streamed_layers": 38,
        "offchip_choice": {"chosen": "streamed_partitions", "partitions_fps": 0.0, "partitions_binds": "too big"},
    }
    lines = schedule_text(summary)
    assert ": 4.1 FPS, batch latency" in lines[0]
