"""Passes over the `dataflow` and `hls` dialects, one pass per module.

The registry is lazy and needs no bookkeeping: a module `passes/foo_bar.py`
defines the pass `foo-bar` (a frozen-dataclass `ModulePass` whose `name` is
`foo-bar`).  Nothing is imported until a pipeline names the pass, so
`fpga-opt` starts fast however many passes exist.  A pass too big for one
module is a package of the same name (`lower_dataflow_to_hls/`, one module
per op family); `analysis/` holds helpers several passes share.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import textwrap
from collections.abc import Callable
from functools import cache

from xdsl.passes import ModulePass

#: Subpackages that hold helpers shared by several passes, not a pass.
HELPER_PACKAGES = frozenset({"analysis"})


def module_name(pass_name: str) -> str:
    """`select-folding` lives in `fpga_opt.passes.select_folding`."""
    return f"{__name__}.{pass_name.replace('-', '_')}"


def load_pass(pass_name: str) -> type[ModulePass]:
    """Import the pass's module and return its `ModulePass` class."""
    module = importlib.import_module(module_name(pass_name))
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, ModulePass) and getattr(value, "name", None) == pass_name:
            return value
    raise ImportError(f"{module.__name__} defines no ModulePass named '{pass_name}'")


@cache
def pass_names() -> tuple[str, ...]:
    """Every pass in this package, found from the file names alone."""
    return tuple(
        sorted(
            info.name.replace("_", "-")
            for info in pkgutil.iter_modules(__path__)
            if not info.name.startswith("_") and info.name not in HELPER_PACKAGES
        )
    )


def registry() -> dict[str, Callable[[], type[ModulePass]]]:
    """Pass name to a factory that imports it on first use (xDSL's convention)."""
    return {name: (lambda name=name: load_pass(name)) for name in pass_names()}


def describe_options(pass_class: type[ModulePass]) -> list[tuple[str, str, str, str]]:
    """(cli-name, type, default, docstring) for each option of a pass.

    Options are the dataclass fields; their documentation is the string
    literal written right below each field (attribute docstrings, as in xDSL).
    """
    docs = _attribute_docstrings(pass_class)
    rows = []
    for field in dataclasses.fields(pass_class):
        default = "" if field.default is dataclasses.MISSING else _format_default(field.default)
        type_name = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", str(field.type))
        rows.append((field.name.replace("_", "-"), str(type_name), default, docs.get(field.name, "")))
    return rows


def summary(pass_class: type[ModulePass]) -> str:
    """The first line of the pass's docstring."""
    doc = inspect.getdoc(pass_class) or ""
    return doc.splitlines()[0] if doc else ""


def _format_default(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _attribute_docstrings(cls: type) -> dict[str, str]:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs: dict[str, str] = {}
    for prev, node in zip(body, body[1:], strict=False):
        if (
            isinstance(prev, ast.AnnAssign)
            and isinstance(prev.target, ast.Name)
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            docs[prev.target.id] = " ".join(node.value.value.split())
    return docs
