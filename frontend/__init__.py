"""Importers from model formats (ONNX float, QDQ and QONNX) into the `dataflow` dialect.

The entry points live in `fpga_opt.frontend.onnx_import` (`import_onnx`,
`write_import`).  This module stays import-light: `fpga-opt` loads it at
start-up to register the `.onnx` frontend, and onnx itself is only imported
when a model is actually read.
"""

from __future__ import annotations

from typing import IO, Any


def register_frontends(driver: Any) -> None:
    """Let `fpga-opt model.onnx ...` import ONNX on the fly (chosen by the file extension)."""

    def onnx_frontend(_stream: IO[bytes]):
        from fpga_opt.frontend.onnx_import import import_for_opt, parse_input_shape

        shapes = dict(parse_input_shape(text) for text in getattr(driver.args, "input_shape", None) or [])
        return import_for_opt(
            driver.args.input_file, driver.args.output_file, shapes, getattr(driver, "defer_until_written", None)
        )

    driver.available_frontends["onnx"] = onnx_frontend
