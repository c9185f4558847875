"""The `hls` dialect: a Vitis HLS dataflow design as kernel instances joined by streams.

Rationale (the long form is docs/dialects/hls.md):

* **It is the C++ program, one op per line of it.**  `vhls.design` is the top
  function; `vhls.port` its AXI-Stream arguments; `vhls.stream` a local
  `hls::stream` with its FIFO depth; `vhls.weights` a constant array in
  `weights.cpp`; `vhls.kernel` one call of a templated kernel of the header
  library (backend/hls/include/fpga_opt/) with its template parameters.  The
  emitter (backend/hls/emit.py) only prints: everything that is a decision
  (how a conv splits into a line buffer and a multiplier array, how many lanes
  a stream has, where a lane-width adapter goes, FIFO depths, accumulator
  widths, how weights are laid out in memory words, which memory they bind to)
  is made by `lower-dataflow-to-hls` and is visible, testable and editable here.
* **Template parameters are typed attributes.**  A kernel's `params` dictionary
  holds integers, floats, element types (typedefs), `#dataflow.requant`
  (or `none`) and `#dataflow.act` (or `none`); `KERNELS` below says which
  parameters each kernel needs and what kind each is, so a hand-edited design
  is checked before any C++ is written.
* **Streams are values, kernels use them.**  `%s = vhls.stream` creates a FIFO;
  a kernel lists the streams it reads (`ins`) and writes (`outs`).  Every
  stream has exactly one writer and one reader, the writer comes first (C
  simulation runs the dataflow processes in program order), and ports are
  read (inputs) or written (outputs) by exactly one kernel.
* **Tokens, not elements.**  `!vhls.stream<4xi8>` moves 4 lanes (channels) of
  one pixel per token, `!vhls.stream<9x4xi8>` a 3x3 window of 4 lanes.  Lanes are
  the folding factors made physical: the stream is as wide as the parallelism
  of the kernels on both ends.
* **Pragmas are attributes.**  `DATAFLOW` on the design, `depth` on streams,
  `interface` on ports, `pragmas` (e.g. `ARRAY_RESHAPE`, `BIND_STORAGE`) on
  weights; the kernels' own `PIPELINE II=1`/`ARRAY_PARTITION` live in the
  header library because they follow from the template parameters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from xdsl.dialects.builtin import (
    I64,
    AnyFloat,
    ArrayAttr,
    DenseArrayBase,
    DictionaryAttr,
    FloatAttr,
    IntAttr,
    IntegerAttr,
    IntegerType,
    NoneType,
    StringAttr,
    SymbolNameConstraint,
    SymbolRefAttr,
    TypeAttribute,
    i64,
)
from xdsl.ir import Attribute, Block, Dialect, Operation, ParametrizedAttribute, Region, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import HasParent, IsolatedFromAbove, NoTerminator, SymbolOpInterface, SymbolTable
from xdsl.utils.exceptions import VerifyException

from fpga_opt.dialects.dataflow import ActivationAttr, RequantAttr, ShapedParameters
from fpga_opt.dialects.hls_kernels import ACT, FLOAT, INT, INTS, KERNELS, REQUANT, TYPE, KernelSpec

# --------------------------------------------------------------------------
# Types
# --------------------------------------------------------------------------


@irdl_attr_definition
class StreamType(ShapedParameters, ParametrizedAttribute, TypeAttribute):
    """An `hls::stream` of tokens: `!vhls.stream<4xi8>` (a pack of 4 lanes) or
    `!vhls.stream<9x4xi8>` (a window of 9 positions x 4 lanes)."""

    name = "vhls.stream"

    shape: ArrayAttr[IntAttr]
    element_type: Attribute

    def __init__(self, shape: Sequence[int], element_type: Attribute):
        super().__init__(ArrayAttr([IntAttr(d) for d in shape]), element_type)

    @property
    def dims(self) -> tuple[int, ...]:
        return tuple(d.data for d in self.shape.data)

    @property
    def lanes(self) -> int:
        return self.dims[-1]

    @property
    def positions(self) -> int:
        """Window positions per token (1 for a pack)."""
        return self.dims[0] if len(self.dims) == 2 else 1

    @property
    def is_window(self) -> bool:
        return len(self.dims) == 2

    def verify(self) -> None:
        if len(self.shape.data) not in (1, 2):
            raise VerifyException(
                f"!vhls.stream token shape must be [lanes] or [positions, lanes], got {len(self.shape.data)} dimensions"
            )
        if any(d.data <= 0 for d in self.shape.data):
            raise VerifyException(f"!vhls.stream token dimensions must be positive, got {self.dims}")
        if not isinstance(self.element_type, IntegerType | AnyFloat):
            raise VerifyException(
                f"!vhls.stream element type must be an integer or float type, got {self.element_type}"
            )


# --------------------------------------------------------------------------
# The kernel library's interface
# --------------------------------------------------------------------------

# KernelSpec and KERNELS live in dialects/hls_kernels/, one module per header.

STREAMED_WEIGHTS_ATTR = "streamed_weights"
"""On an `hls.kernel` of a conv or linear whose weights come from off chip: its last `ins` stream carries the
words of its `weights` table (which is then `none`), written by a `dram_read` or `ovsf_generate` kernel."""

GATED_ATTR = "gated"
"""On an `vhls.kernel` of a stage after an early exit: its last `ins` stream is a gate (`!vhls.stream<1xi1>`,
one token per sample from the stage's conditional buffer); the kernel runs only for samples whose gate is 1."""
GATE_TYPE = StreamType([1], IntegerType(1))


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _i64(value: int) -> IntegerAttr:
    return IntegerAttr(value, i64)


def is_c_identifier(text: str) -> bool:
    return bool(text) and (text[0].isalpha() or text[0] == "_") and all(ch.isalnum() or ch == "_" for ch in text)


def _check_identifier(op: Operation, what: str, text: str) -> None:
    if not is_c_identifier(text):
        raise VerifyException(f"'{op.name}' op: {what} '{text}' is not a C identifier")


def _stream_type(value: SSAValue, op: Operation, what: str) -> StreamType:
    if not isinstance(value.type, StreamType):
        raise VerifyException(f"'{op.name}' op: {what} must be a !vhls.stream, got {value.type}")
    return value.type


# --------------------------------------------------------------------------
# Ops
# --------------------------------------------------------------------------


class HlsOp(IRDLOperation):
    irdl_options = (ParsePropInAttrDict(),)


@irdl_op_definition
class DesignOp(IRDLOperation):
    """The top function of an HLS dataflow design.

    Its body holds ports, streams, weights and kernel instances, in the order
    the C++ declares and calls them.  `part` and `clock_mhz` go to
    run_hls.tcl; `pragmas` are printed at the top of the function
    (`DATAFLOW` is required: the kernels are concurrent processes).
    """

    name = "vhls.design"

    sym_name = prop_def(StringAttr)
    part = prop_def(StringAttr)
    clock_mhz = prop_def(FloatAttr)
    pragmas = prop_def(ArrayAttr[StringAttr])
    board = prop_def(StringAttr)
    body = region_def("single_block")

    traits = traits_def(IsolatedFromAbove(), NoTerminator(), SymbolOpInterface(), SymbolTable())

    def __init__(
        self,
        sym_name: str,
        *,
        part: str,
        clock_mhz: float,
        board: str,
        pragmas: Iterable[str] = ("DATAFLOW", "INTERFACE ap_ctrl_chain port=return"),
        body: Iterable[Operation] = (),
    ):
        super().__init__(
            properties={
                "sym_name": StringAttr(sym_name),
                "part": StringAttr(part),
                "clock_mhz": FloatAttr(float(clock_mhz), 64),
                "board": StringAttr(board),
                "pragmas": ArrayAttr([StringAttr(p) for p in pragmas]),
            },
            regions=[Region(Block(list(body)))],
        )

    @property
    def top_name(self) -> str:
        return self.sym_name.data

    def ports(self) -> list[PortOp]:
        return [op for op in self.body.block.ops if isinstance(op, PortOp)]

    def streams(self) -> list[StreamOp]:
        return [op for op in self.body.block.ops if isinstance(op, StreamOp)]

    def weights(self) -> list[WeightsOp]:
        return [op for op in self.body.block.ops if isinstance(op, WeightsOp)]

    def kernels(self) -> list[KernelOp]:
        return [op for op in self.body.block.ops if isinstance(op, KernelOp)]

    @classmethod
    def parse(cls, parser: Parser) -> DesignOp:
        sym = parser.parse_symbol_name().data
        attrs = parser.parse_optional_attr_dict_with_keyword()
        values = dict(attrs.data) if attrs is not None else {}
        body = parser.parse_region()
        if not body.blocks:
            body.add_block(Block())
        missing = [k for k in ("part", "clock_mhz", "board", "pragmas") if k not in values]
        if missing:
            parser.raise_error(f"vhls.design @{sym} needs attribute(s) {', '.join(missing)}")
        op = cls.__new__(cls)
        IRDLOperation.__init__(
            op,
            properties={
                "sym_name": StringAttr(sym),
                **{k: values.pop(k) for k in ("part", "clock_mhz", "board", "pragmas")},
            },
            attributes=values,
            regions=[body],
        )
        return op

    def print(self, printer: Printer) -> None:
        printer.print_string(f" @{self.sym_name.data} attributes ")
        printer.print_attr_dict(
            {"part": self.part, "clock_mhz": self.clock_mhz, "board": self.board, "pragmas": self.pragmas}
            | dict(self.attributes)
        )
        printer.print_string(" ")
        printer.print_region(self.body, print_entry_block_args=False, print_empty_block=False)

    def verify_(self) -> None:
        _check_identifier(self, "design name", self.sym_name.data)
        pragmas = [p.data for p in self.pragmas.data]
        if "DATAFLOW" not in pragmas:
            raise VerifyException(
                f"'vhls.design' op @{self.sym_name.data}: pragmas must include DATAFLOW, got {pragmas}"
            )
        if self.clock_mhz.value.data <= 0:
            raise VerifyException(f"'vhls.design' op @{self.sym_name.data}: clock_mhz must be positive")
        # An op that fails its own checks reports itself (more precisely, at its own location)
        # when the verifier reaches it; the wiring checks below assume well-formed ops.
        for op in self.body.block.ops:
            try:
                op.verify(verify_nested_ops=False)
            except VerifyException:
                return
        names: dict[str, Operation] = {}
        for op in self.body.block.ops:
            name = _declared_name(op)
            if name is None:
                continue
            if name in names:
                raise VerifyException(f"'vhls.design' op @{self.sym_name.data}: the name '{name}' is declared twice")
            names[name] = op
        self._verify_connections()

    def _verify_connections(self) -> None:
        order = {op: i for i, op in enumerate(self.body.block.ops)}
        for op in self.body.block.ops:
            if not isinstance(op, PortOp | StreamOp):
                continue
            value = op.result
            readers = [
                u.operation for u in value.uses if isinstance(u.operation, KernelOp) and u.index < len(u.operation.ins)
            ]
            writers = [
                u.operation for u in value.uses if isinstance(u.operation, KernelOp) and u.index >= len(u.operation.ins)
            ]
            what = f"'{op.name}' op \"{op.display_name}\""
            want_readers = 0 if isinstance(op, PortOp) and op.direction.data == "out" else 1
            want_writers = 0 if isinstance(op, PortOp) and op.direction.data == "in" else 1
            if len(readers) != want_readers:
                raise VerifyException(f"{what}: must be read by {want_readers} kernel(s), is read by {len(readers)}")
            if len(writers) != want_writers:
                raise VerifyException(
                    f"{what}: must be written by {want_writers} kernel(s), is written by {len(writers)}"
                )
            if readers and writers and order[writers[0]] > order[readers[0]]:
                raise VerifyException(
                    f'{what}: its writer "{writers[0].instance.data}" must come before its reader '
                    f'"{readers[0].instance.data}" (C simulation runs kernels in order)'
                )


def _declared_name(op: Operation) -> str | None:
    if isinstance(op, PortOp | StreamOp):
        return op.display_name
    if isinstance(op, WeightsOp):
        return op.sym_name.data
    if isinstance(op, KernelOp):
        return op.instance.data
    return None


PORT_DIRECTIONS = ("in", "out")


@irdl_op_definition
class PortOp(HlsOp):
    """A top-function argument: an AXI-Stream port carrying one frame per call.

    `shape` is the frame (H x W x C values); the token type gives the lanes.
    """

    name = "vhls.port"

    port_name = prop_def(StringAttr)
    direction = prop_def(StringAttr)
    interface = prop_def(StringAttr, default_value=StringAttr("axis"))
    shape = prop_def(DenseArrayBase[I64])
    result = result_def(StreamType)

    traits = traits_def(HasParent(DesignOp))

    assembly_format = "$port_name $direction attr-dict `:` type($result)"

    def __init__(
        self, port_name: str, direction: str, shape: Sequence[int], token: StreamType, interface: str = "axis"
    ):
        super().__init__(
            properties={
                "port_name": StringAttr(port_name),
                "direction": StringAttr(direction),
                "interface": StringAttr(interface),
                "shape": DenseArrayBase.from_list(i64, list(shape)),
            },
            result_types=[token],
        )

    @property
    def display_name(self) -> str:
        return self.port_name.data

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return tuple(self.shape.get_values())  # type: ignore[return-value]

    @property
    def tokens(self) -> int:
        h, w, c = self.frame_shape
        return h * w * c // self.result.type.lanes  # type: ignore[union-attr]

    def verify_(self) -> None:
        _check_identifier(self, "port name", self.port_name.data)
        if self.direction.data not in PORT_DIRECTIONS:
            raise VerifyException(
                f"'vhls.port' op \"{self.port_name.data}\": direction must be 'in' or 'out', got '{self.direction.data}'"
            )
        if self.interface.data != "axis":
            raise VerifyException(
                f"'vhls.port' op \"{self.port_name.data}\": only interface \"axis\" is supported, got '{self.interface.data}'"
            )
        shape = self.frame_shape
        token = _stream_type(self.result, self, "result")
        if len(shape) != 3 or min(shape) < 1:
            raise VerifyException(
                f"'vhls.port' op \"{self.port_name.data}\": shape must be [H, W, C], got {list(shape)}"
            )
        if token.is_window:
            raise VerifyException(f"'vhls.port' op \"{self.port_name.data}\": a port carries packs, not windows")
        if shape[2] % token.lanes:
            raise VerifyException(
                f"'vhls.port' op \"{self.port_name.data}\": {token.lanes} lanes do not divide {shape[2]} channels"
            )


@irdl_op_definition
class StreamOp(HlsOp):
    """A local `hls::stream` (a FIFO of `depth` tokens) joining two kernels.

    `tokens` is how many tokens cross it per frame (a check, and a help for
    anyone sizing FIFOs by hand).
    """

    name = "vhls.stream"

    stream_name = prop_def(StringAttr)
    depth = prop_def(IntegerAttr[I64])
    tokens = prop_def(IntegerAttr[I64])
    result = result_def(StreamType)

    traits = traits_def(HasParent(DesignOp))

    assembly_format = "$stream_name attr-dict `:` type($result)"

    def __init__(self, stream_name: str, token: StreamType, *, depth: int, tokens: int):
        super().__init__(
            properties={"stream_name": StringAttr(stream_name), "depth": _i64(depth), "tokens": _i64(tokens)},
            result_types=[token],
        )

    @property
    def display_name(self) -> str:
        return self.stream_name.data

    def verify_(self) -> None:
        _check_identifier(self, "stream name", self.stream_name.data)
        _stream_type(self.result, self, "result")
        if self.depth.value.data < 1:
            raise VerifyException(
                f"'vhls.stream' op \"{self.stream_name.data}\": depth must be >= 1, got {self.depth.value.data}"
            )
        if self.tokens.value.data < 1:
            raise VerifyException(
                f"'vhls.stream' op \"{self.stream_name.data}\": tokens must be >= 1, got {self.tokens.value.data}"
            )


STORAGE_KINDS = ("auto", "lutram", "bram", "uram", "dram")
"""`dram`: the table lives in off-chip memory, an `m_axi` argument of the top function (a `dram_read` reads it)."""


@irdl_op_definition
class WeightsOp(HlsOp):
    """A constant array: a weight or bias tensor laid out for one kernel.

    The tensor `source` (from the weight store) of shape `source_shape` is
    reshaped to `view`, transposed by `permutation` and reshaped to `shape`
    = [words, lanes]: word `a` holds the `lanes` values the kernel reads in
    one cycle at address `a` (numpy: `w.reshape(view).transpose(permutation)
    .reshape(shape)`); with `grid` and `padded`, the tensor is first reshaped
    to `grid` and zero-padded at the end of each dimension to `padded` (the
    padded passes of a kernel whose lanes do not divide a dimension), and `view`
    splits the padded tensor.  `element` is the value type; the C array uses the
    smallest of int8_t/int16_t/int32_t (or float) that holds it, never ap_int
    initialisers.  `pragmas` are printed in the top function with
    `variable=<name>` (ARRAY_RESHAPE makes each word one memory word;
    BIND_STORAGE picks the memory).
    """

    name = "vhls.weights"

    sym_name = prop_def(SymbolNameConstraint())
    source = prop_def(StringAttr)
    element = prop_def(TypeAttribute)
    source_shape = prop_def(DenseArrayBase[I64])
    view = prop_def(DenseArrayBase[I64])
    permutation = prop_def(DenseArrayBase[I64])
    shape = prop_def(DenseArrayBase[I64])
    storage = prop_def(StringAttr, default_value=StringAttr("auto"))
    pragmas = prop_def(ArrayAttr[StringAttr], default_value=ArrayAttr([]))
    grid = opt_prop_def(DenseArrayBase[I64])
    padded = opt_prop_def(DenseArrayBase[I64])

    traits = traits_def(HasParent(DesignOp), SymbolOpInterface())

    assembly_format = "$sym_name attr-dict"

    def __init__(
        self,
        sym_name: str,
        *,
        source: str,
        element: Attribute,
        source_shape: Sequence[int],
        view: Sequence[int],
        permutation: Sequence[int],
        shape: Sequence[int],
        storage: str = "auto",
        pragmas: Iterable[str] = (),
        grid: Sequence[int] | None = None,
        padded: Sequence[int] | None = None,
    ):
        padding = {}
        if grid is not None and padded is not None:
            padding = {
                "grid": DenseArrayBase.from_list(i64, list(grid)),
                "padded": DenseArrayBase.from_list(i64, list(padded)),
            }
        super().__init__(
            properties={
                **padding,
                "sym_name": StringAttr(sym_name),
                "source": StringAttr(source),
                "element": element,
                "source_shape": DenseArrayBase.from_list(i64, list(source_shape)),
                "view": DenseArrayBase.from_list(i64, list(view)),
                "permutation": DenseArrayBase.from_list(i64, list(permutation)),
                "shape": DenseArrayBase.from_list(i64, list(shape)),
                "storage": StringAttr(storage),
                "pragmas": ArrayAttr([StringAttr(p) for p in pragmas]),
            }
        )

    def values(self, name: str) -> tuple[int, ...]:
        attr = getattr(self, name)
        assert isinstance(attr, DenseArrayBase)
        return tuple(attr.get_values())  # type: ignore[arg-type]

    def verify_(self) -> None:
        who = f"'vhls.weights' op @{self.sym_name.data}"
        _check_identifier(self, "weights name", self.sym_name.data)
        if not isinstance(self.element, IntegerType | AnyFloat):
            raise VerifyException(f"{who}: element must be an integer or float type, got {self.element}")
        src, view, perm, shape = (self.values(n) for n in ("source_shape", "view", "permutation", "shape"))
        size = _prod(src)
        if (self.grid is None) != (self.padded is None):
            raise VerifyException(f"{who}: grid and padded go together")
        if self.grid is not None:
            grid, padded = self.values("grid"), self.values("padded")
            if (
                _prod(grid) != size
                or len(padded) != len(grid)
                or any(p < g for g, p in zip(grid, padded, strict=False))
            ):
                raise VerifyException(
                    f"{who}: grid {list(grid)} must hold the source's {size} values and padded {list(padded)} "
                    "must be at least as large in every dimension"
                )
            size = _prod(padded)
        if _prod(view) != size or _prod(shape) != size:
            raise VerifyException(
                f"{who}: source_shape {list(src)}, view {list(view)} and shape {list(shape)} must hold the same number of values"
            )
        if sorted(perm) != list(range(len(view))):
            raise VerifyException(
                f"{who}: permutation {list(perm)} is not a permutation of the {len(view)} view dimensions"
            )
        if len(shape) != 2:
            raise VerifyException(f"{who}: shape must be [words, lanes], got {list(shape)}")
        if self.storage.data not in STORAGE_KINDS:
            raise VerifyException(
                f"{who}: storage must be one of {', '.join(STORAGE_KINDS)}, got '{self.storage.data}'"
            )


def _prod(values: Iterable[int]) -> int:
    result = 1
    for v in values:
        result *= v
    return result


@irdl_op_definition
class KernelOp(HlsOp):
    """One call of a templated kernel: `fpga_opt::<kernel><cfg>(ins..., outs..., tables...)`.

    `instance` names the call (and its config struct `<instance>_cfg`);
    `params` are the template parameters (see `KERNELS`); `tables` the
    constant arrays in the kernel's table slots (`none` for an absent optional
    one); `source` the dataflow layer it implements, printed as a comment.
    """

    name = "vhls.kernel"

    kernel = prop_def(StringAttr)
    instance = prop_def(StringAttr)
    params = prop_def(DictionaryAttr)
    tables = prop_def(ArrayAttr, default_value=ArrayAttr([]))
    source = prop_def(StringAttr, default_value=StringAttr(""))
    ins = var_operand_def(StreamType)
    outs = var_operand_def(StreamType)

    irdl_options = (ParsePropInAttrDict(), AttrSizedOperandSegments(as_property=True))
    traits = traits_def(HasParent(DesignOp))

    assembly_format = (
        "$kernel $instance `ins` `(` $ins `:` type($ins) `)` `outs` `(` $outs `:` type($outs) `)` attr-dict"
    )

    def __init__(
        self,
        kernel: str,
        instance: str,
        ins: Sequence[SSAValue],
        outs: Sequence[SSAValue],
        params: dict[str, Attribute],
        *,
        tables: Sequence[str | None] = (),
        source: str = "",
    ):
        super().__init__(
            operands=[list(ins), list(outs)],
            properties={
                "kernel": StringAttr(kernel),
                "instance": StringAttr(instance),
                "params": DictionaryAttr(params),
                "tables": ArrayAttr([SymbolRefAttr(t) if t is not None else NoneType() for t in tables]),
                "source": StringAttr(source),
            },
        )

    @property
    def spec(self) -> KernelSpec:
        return KERNELS[self.kernel.data]

    @property
    def gated(self) -> bool:
        """Whether the last `ins` stream is the gate of an early-exit stage (`GATED_ATTR`)."""
        return GATED_ATTR in self.attributes

    @property
    def streamed_weights(self) -> bool:
        """Whether the last `ins` stream (before a gate) carries the words of the `weights` table."""
        return STREAMED_WEIGHTS_ATTR in self.attributes

    def kernel_ins(self) -> list[SSAValue]:
        """The streams the kernel itself reads (without the gate and the weight words)."""
        ins = list(self.ins)
        if self.gated:
            ins = ins[:-1]
        return ins[:-1] if self.streamed_weights else ins

    def weight_stream(self) -> SSAValue | None:
        """The stream of the `weights` table's words (streamed weights), else None."""
        if not self.streamed_weights:
            return None
        ins = list(self.ins)
        return (ins[:-1] if self.gated else ins)[-1]

    def param(self, name: str) -> Attribute:
        return self.params.data[name]

    def int_param(self, name: str) -> int:
        attr = self.params.data[name]
        assert isinstance(attr, IntegerAttr)
        return attr.value.data

    def table_names(self) -> list[str | None]:
        return [t.root_reference.data if isinstance(t, SymbolRefAttr) else None for t in self.tables.data]

    def verify_(self) -> None:
        who = f"'vhls.kernel' op \"{self.instance.data}\""
        _check_identifier(self, "instance name", self.instance.data)
        spec = KERNELS.get(self.kernel.data)
        if spec is None:
            raise VerifyException(f"{who}: unknown kernel '{self.kernel.data}'; known: {', '.join(sorted(KERNELS))}")
        if self.gated:
            if len(self.ins) != len(spec.ins) + 1 + self.streamed_weights:
                raise VerifyException(
                    f"{who}: a gated kernel '{self.kernel.data}' reads {list(spec.ins)} and its gate, got "
                    f"{len(self.ins)} stream(s)"
                )
            if self.ins[-1].type != GATE_TYPE:
                raise VerifyException(f"{who}: the gate must be {GATE_TYPE}, got {self.ins[-1].type}")
        elif len(self.ins) != len(spec.ins) + self.streamed_weights:
            raise VerifyException(
                f"{who}: kernel '{self.kernel.data}' reads {len(spec.ins)} stream(s) {list(spec.ins)}"
                f"{' and its weight words' if self.streamed_weights else ''}, got {len(self.ins)}"
            )
        if spec.variadic_outs:
            if len(self.outs) < 1:
                raise VerifyException(f"{who}: kernel '{self.kernel.data}' writes at least one stream")
        elif len(self.outs) != len(spec.outs):
            raise VerifyException(
                f"{who}: kernel '{self.kernel.data}' writes {len(spec.outs)} stream(s) {list(spec.outs)}, got {len(self.outs)}"
            )
        self._verify_params(who, spec)
        self._verify_tables(who, spec)

    def _verify_params(self, who: str, spec: KernelSpec) -> None:
        given = self.params.data
        missing = [k for k in spec.params if k not in given]
        if missing:
            raise VerifyException(f"{who}: kernel '{self.kernel.data}' needs parameter(s) {', '.join(missing)}")
        unknown = [k for k in given if k not in spec.params]
        if unknown:
            raise VerifyException(f"{who}: kernel '{self.kernel.data}' has no parameter(s) {', '.join(unknown)}")
        for key, kind in spec.params.items():
            value = given[key]
            ok = {
                INT: isinstance(value, IntegerAttr),
                FLOAT: isinstance(value, FloatAttr),
                TYPE: isinstance(value, IntegerType | AnyFloat),
                REQUANT: isinstance(value, RequantAttr | NoneType),
                ACT: isinstance(value, ActivationAttr | NoneType),
                INTS: isinstance(value, DenseArrayBase) and value.elt_type == i64,
            }[kind]
            if not ok:
                raise VerifyException(f"{who}: parameter {key} must be {_KIND_TEXT[kind]}, got {value}")

    def _verify_tables(self, who: str, spec: KernelSpec) -> None:
        tables = self.tables.data
        if len(tables) != len(spec.tables):
            raise VerifyException(
                f"{who}: kernel '{self.kernel.data}' takes table(s) {list(spec.tables)}, got {len(tables)}"
            )
        design = self.parent_op()
        known = {op.sym_name.data: op for op in design.body.block.ops if isinstance(op, WeightsOp)} if design else {}
        for slot, table in zip(spec.tables, tables, strict=True):
            if isinstance(table, NoneType):
                if not slot.endswith("?") and not (slot == "weights" and self.streamed_weights):
                    raise VerifyException(f"{who}: table '{slot}' is required")
                continue
            if not isinstance(table, SymbolRefAttr):
                raise VerifyException(f"{who}: table '{slot.rstrip('?')}' must be a @symbol or none, got {table}")
            if design is not None and table.root_reference.data not in known:
                raise VerifyException(
                    f"{who}: table '{slot.rstrip('?')}' names @{table.root_reference.data}, which is not an vhls.weights"
                )


_KIND_TEXT = {
    INT: "an integer",
    FLOAT: "a float",
    TYPE: "an integer or float type",
    REQUANT: "a #dataflow.requant or none",
    ACT: "a #dataflow.act or none",
    INTS: "an array<i64: ...> table",
}


Hls = Dialect("vhls", [DesignOp, PortOp, StreamOp, WeightsOp, KernelOp], [StreamType])
