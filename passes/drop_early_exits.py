"""`drop-early-exits`: the same network without its early exits (ATHEENA's no-exit baseline).

Takes a multi-output early-exit function as the frontend imports it (one
result per exit, `dataflow.exits = K`, before `split-exit-branches`) and keeps
only the final exit: the early exits' branches are erased, forks that fed them
lose those copies (a fork left with one copy becomes a wire), and the function
returns the final result alone.  Its attributes follow: `dataflow.output_names`
and `dataflow.output_scales` keep the final exit's entry; `dataflow.exits`,
`dataflow.exit_thresholds`, `dataflow.exit_probabilities` and
`dataflow.exit_profile` go.

This is the baseline an early-exit design is compared with: the same backbone
and final classifier, every sample through all of it, selected by the same
`select-folding` (benchmarks/early_exit.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ArrayAttr, ModuleOp
from xdsl.dialects.func import FuncOp, ReturnOp
from xdsl.passes import ModulePass

from fpga_opt.dialects.dataflow import ForkOp
from fpga_opt.dialects.errors import FpgaOptError
from fpga_opt.passes.split_exit_branches import (
    EXITS_ATTR,
    OUTPUT_NAMES_ATTR,
    OUTPUT_SCALES_ATTR,
    PROBABILITIES_ATTR,
    THRESHOLDS_ATTR,
    analyse_exits,
    is_split,
)

PROFILE_ATTR = "dataflow.exit_profile"


def drop_early_exits(func: FuncOp, what: str = "drop-early-exits") -> None:
    """Keep only the final exit of an unsplit early-exit function (see the module docstring)."""
    if is_split(func):
        raise FpgaOptError(
            f"{what}: @{func.sym_name.data} is already split; drop-early-exits takes the network as imported "
            "(before split-exit-branches)"
        )
    net = analyse_exits(func, what)
    block = func.body.block
    final = net.results[-1]
    new_ret = ReturnOp(final)
    block.insert_op_before(new_ret, net.ret)
    net.ret.detach()
    net.ret.erase()
    for branch in reversed(net.branches):
        for op in reversed(branch):
            op.detach()
            op.erase()
    for op in list(block.ops):
        if not isinstance(op, ForkOp):
            continue
        used = [r for r in op.outputs if r.uses]
        if len(used) == len(op.outputs):
            continue
        if not used:  # pragma: no cover - analyse_exits refuses ops that feed nothing
            raise FpgaOptError(f"{what}: @{func.sym_name.data}: a fork feeds nothing after dropping the exits")
        if len(used) == 1:
            used[0].replace_all_uses_with(op.input)
        else:
            fork = ForkOp(op.input, len(used), layer=op.layer.data if op.layer is not None else None)
            fork.attributes.update(op.attributes)
            fork.properties["coarse"] = op.coarse
            block.insert_op_before(fork, op)
            for old, new in zip(used, fork.outputs, strict=True):
                old.replace_all_uses_with(new)
        op.detach()
        op.erase()
    func.update_function_type()
    func.res_attrs = None
    attrs = func.attributes
    for name in (OUTPUT_NAMES_ATTR, OUTPUT_SCALES_ATTR):
        value = attrs.get(name)
        if isinstance(value, ArrayAttr) and len(value.data) == net.num_exits:
            attrs[name] = ArrayAttr([value.data[-1]])
    for name in (EXITS_ATTR, THRESHOLDS_ATTR, PROBABILITIES_ATTR, PROFILE_ATTR):
        attrs.pop(name, None)


@dataclass(frozen=True)
class DropEarlyExitsPass(ModulePass):
    """Keep only the final exit of an unsplit early-exit network: the no-exit baseline."""

    name = "drop-early-exits"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        funcs = [f for f in op.walk() if isinstance(f, FuncOp) and not f.is_declaration]
        if not funcs:
            raise FpgaOptError(f"{self.name}: the module has no function")
        for func in funcs:
            drop_early_exits(func, self.name)


__all__ = ["DropEarlyExitsPass", "drop_early_exits"]
