// A residual block: a fork feeds a chain of two 3x3 convs and a skip FIFO, joined by an add.
// The long branch only emits its first pixel after both line buffers have filled (one row and
// two pixels each), so the skip FIFO must hold that lead: 16 elements deadlock, 128 run at full rate.
// The error names the loop of waits: fork -> (full skip FIFO) -> add -> conv1 -> conv0 -> fork.

// RUN: not fpga-sim %s --func shallow -q 2>&1 | filecheck %s --check-prefix=SHALLOW
// SHALLOW: fpga-sim: error: {{.*}}deadlock.mlir: deadlock at cycle {{[0-9]+}}:
// SHALLOW-SAME: 'fork' cannot write to full FIFO 'fork -> skip -> add' (16/16 elements);
// SHALLOW-SAME: 'add' waits on empty FIFO 'conv1 -> add';
// SHALLOW-SAME: 'conv1' waits on empty FIFO 'conv1 (window) -> conv1';
// SHALLOW-SAME: 'conv1 (window)' waits on empty FIFO 'conv0 -> conv1 (window)';
// SHALLOW-SAME: 'conv0' waits on empty FIFO 'conv0 (window) -> conv0';
// SHALLOW-SAME: 'conv0 (window)' waits on empty FIFO 'fork -> conv0 (window)';
// The fix to try, naming the full FIFO:
// SHALLOW-SAME: try: size the FIFOs (fpga-opt -p minimize-residual-buffers,size-fifos), or put a dataflow.buffer holding the whole tensor on the faster branch into the join (full: 'fork -> skip -> add' (16/16 elements)); fpga-sim --fifo-depth unbounded shows the design's own rate{{$}}

// A run that deadlocks writes no report (docs/reliability.md: a failed run leaves no files); the error
// line above is the report.
// RUN: rm -f %t.json
// RUN: not fpga-sim %s --func shallow -q --report-json %t.json
// RUN: %python -c "import os; print('report written:', os.path.exists('%t.json'))" | filecheck %s --check-prefix=JSON
// JSON: report written: False

// RUN: fpga-sim %s --func deep --frames 4 | filecheck %s --check-prefix=DEEP
// DEEP: fpga-sim: {{.*}}deadlock.mlir @deep: 4 frame(s) at 200 MHz
// DEEP-NEXT: cycles/frame   9216.0   (model 9216, bottleneck conv0)
// DEEP: op {{ +}}kind {{ +}}folding
// DEEP: fork {{ +}}fork
// DEEP: skip {{ +}}buffer {{.*}}/128

// With inputs, the same run writes the outputs (all-ones input, all-ones weights).
// RUN: %python -c "import numpy as np; np.save('%t.npy', np.ones((1, 4, 8, 8), np.int8))"
// RUN: fpga-sim %s --func deep -q --input %t.npy --output %t.npz
// RUN: %python -c "import numpy as np; y = np.load('%t.npz')['output']; print(y.shape, y[0, 0, 0, :4].tolist(), y[0, 0, 3, :4].tolist())" | filecheck %s --check-prefix=OUT
// OUT: (1, 4, 8, 8) [1, 1, 1, 1] [1, 1, 1, 1]

builtin.module attributes {dataflow.inline_weights = {"c0.w" = dense<1> : tensor<4x4x3x3xi8>, "c1.w" = dense<1> : tensor<4x4x3x3xi8>}} {
  func.func @shallow(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
    %f:2 = dataflow.fork %x {layer = "fork"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
    %c0 = dataflow.conv %f#0 {layer = "conv0", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
    %c1 = dataflow.conv %c0 {layer = "conv1", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
    %b = dataflow.buffer %f#1 {layer = "skip", depth = 16 : i64} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
    %a = dataflow.add %c1, %b {layer = "add", requant = #dataflow.requant<multiplier = 1, shift = 0, min = 0>} : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
    func.return %a : !dataflow.stream<8x8x4xi8>
  }
  func.func @deep(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
    %f:2 = dataflow.fork %x {layer = "fork"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
    %c0 = dataflow.conv %f#0 {layer = "conv0", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
    %c1 = dataflow.conv %c0 {layer = "conv1", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
    %b = dataflow.buffer %f#1 {layer = "skip", depth = 128 : i64} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
    %a = dataflow.add %c1, %b {layer = "add", requant = #dataflow.requant<multiplier = 1, shift = 0, min = 0>} : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
    func.return %a : !dataflow.stream<8x8x4xi8>
  }
}
