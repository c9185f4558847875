"""Collecting import errors so that one message names every node that failed.

A node handler raises `Unsupported(reason)`; the importer records the node
(op type, name, opset) with the reason, marks the node's outputs as poisoned
and carries on, so that the user sees every problem of a model at once:

    model.onnx: cannot import 2 nodes: Sin 'sin0' (opset 13): unsupported op; MaxPool 'p1' (opset 13): dilations [2, 2] are not supported for MaxPool (only 1; Conv takes any)
"""

from __future__ import annotations

from dataclasses import dataclass

from fpga_opt.dialects.errors import FpgaOptError


class Unsupported(Exception):
    """Raised by a node handler: this node (as used here) cannot be imported."""


UNSUPPORTED_OP = "unsupported op"


@dataclass(frozen=True)
class Issue:
    op_type: str
    node: str
    opset: int
    reason: str

    def __str__(self) -> str:
        return f"{self.op_type} '{self.node}' (opset {self.opset}): {self.reason}"


class IssueLog:
    """The problems found so far, in graph order."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(self, op_type: str, node: str, opset: int, reason: str) -> None:
        self.issues.append(Issue(op_type, node, opset, " ".join(reason.split())))

    def __bool__(self) -> bool:
        return bool(self.issues)

    def error(self, path: str) -> FpgaOptError:
        n = len(self.issues)
        listing = "; ".join(str(issue) for issue in self.issues)
        return FpgaOptError(f"{path}: cannot import {n} node{'s' if n != 1 else ''}: {listing}")
