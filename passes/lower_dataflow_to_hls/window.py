"""The sliding window in front of every `WindowedOp`'s compute kernel (conv, pool).

A `sliding_window` kernel (the line buffer) turns the op's input stream, `lanes` channels per
token, into one window of Kh*Kw pixels per output pixel and channel group, generating the
padding (zeros, or the type's lowest value for max pooling) instead of reading it; a dilated
conv's window (`dilated_sliding_window`) spans its extent and emits the taps.  The
op's `window_depth` (set by `size-fifos`) deepens the stream into the compute kernel to that
many windows (C/lanes tokens each).
"""

from __future__ import annotations

from xdsl.ir import SSAValue

from fpga_opt.dialects import dataflow as df
from fpga_opt.dialects import hls
from fpga_opt.passes.lower_dataflow_to_hls.lowering import Lowering, int_attr, stream_type

KERNEL_HEADERS = {"sliding_window.h": ("sliding_window", "dilated_sliding_window")}


def window_input(lw: Lowering, op: df.WindowedOp, lanes: int, *, line_buffer: bool, pad_lowest: bool) -> SSAValue:
    """The stream the op's compute kernel reads: windows of operand 0, or (no `line_buffer`) its pixels."""
    name = lw.layer(op)
    inp = op.window_stream
    x = lw.take(op.operands[0], lanes, name)
    if line_buffer:
        x = _slide(lw, op, x, lanes, pad_lowest)
    stream = lw.stream_ops.get(x)
    if op.window_depth is not None and stream is not None:
        tokens = op.window_depth.value.data * (inp.channels // lanes)
        stream.depth = int_attr(max(stream.depth.value.data, tokens))
    return x


def _slide(lw: Lowering, op: df.WindowedOp, x: SSAValue, lanes: int, pad_lowest: bool) -> SSAValue:
    name = lw.layer(op)
    inp, out = op.window_stream, stream_type(op.results[0])
    kh, kw = op.kernel_size
    sh, sw = op.stride_size
    pt, pl, pb, pr = op.padding
    win = lw.new_stream(
        f"{name}_win",
        hls.StreamType([kh * kw, lanes], inp.element_type),
        out.height * out.width * inp.channels // lanes,
    )
    h, w, c = inp.dims
    geometry = dict(H=h, W=w, C=c, KH=kh, KW=kw, SH=sh, SW=sw, PT=pt, PL=pl, PB=pb, PR=pr, L=lanes)
    params = {
        "in_t": inp.element_type,
        **{k: int_attr(v) for k, v in geometry.items()},
        "PAD_LOWEST": int_attr(int(pad_lowest)),
        "PAD_VALUE": int_attr(op.padding_value),
    }
    dh, dw = op.dilation_size
    if (dh, dw) != (1, 1):
        params.update(DH=int_attr(dh), DW=int_attr(dw))
    lw.kernels.append(
        hls.KernelOp(
            "sliding_window" if (dh, dw) == (1, 1) else "dilated_sliding_window",
            lw.names.fresh(f"{name}_swg"),
            [x],
            [win],
            params,
            source=f"line buffer of {lw.source(op)}",
        )
    )
    return win
