"""Pass-pipeline text: MLIR's `builtin.module(a{x=1 y=2},b)` to xDSL's `a{x=1 y=2},b`."""

from __future__ import annotations

from fpga_opt.dialects.errors import FpgaOptError

_ANCHORS = ("builtin.module", "any")


def mlir_to_xdsl_pipeline(text: str) -> str:
    """Strip the module anchor(s); fpga-opt passes all run on the whole module.

    Options inside braces keep xDSL's syntax, which is MLIR's: entries are
    separated by spaces, lists by commas.
    """
    spec = text.strip()
    while True:
        for anchor in _ANCHORS:
            if spec.startswith(anchor + "("):
                if not spec.endswith(")"):
                    raise FpgaOptError(f"--pass-pipeline: unbalanced parentheses in '{text}'")
                spec = spec[len(anchor) + 1 : -1].strip()
                break
        else:
            break
    depth = 0
    for ch in spec:
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "(" and depth == 0:
            raise FpgaOptError(
                f"--pass-pipeline: nested pipelines are not supported in '{text}'; "
                "fpga-opt passes run on builtin.module"
            )
    return spec
