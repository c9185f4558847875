// The early-exit ops round-trip (custom form, and generic form back to custom) with their
// names and `dataflow.stage` tags.  Their verifier errors are in early_exit_invalid.mlir.
// RUN: fpga-opt %s --split-input-file | filecheck %s
// RUN: fpga-opt %s --split-input-file --print-op-generic | fpga-opt --split-input-file | filecheck %s

// CHECK-LABEL: func.func @round_trip
// CHECK:         dataflow.exit_decision %{{.*}} {dataflow.stage = 0 : i64, threshold = 8.000000e-01 : f64, scale = 6.250000e-02 : f64, layer = "exit0.decision"} : !dataflow.stream<1x1x10xi8> -> !dataflow.stream<1x1x1xi1>
// CHECK:         dataflow.conditional_buffer %{{.*}}, %{{.*}} {dataflow.stage = 1 : i64, depth = 320 : i64, layer = "exit0.buffer"} : !dataflow.stream<8x8x5xi8>, !dataflow.stream<1x1x1xi1> -> !dataflow.stream<8x8x5xi8>
// CHECK:         dataflow.exit_merge %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {dataflow.stage = 0 : i64} : (!dataflow.stream<1x1x10xi8>, !dataflow.stream<1x1x1xi1>, !dataflow.stream<1x1x10xi8>, !dataflow.stream<1x1x1xi1>, !dataflow.stream<1x1x10xi8>) -> (!dataflow.stream<1x1x10xi8>, !dataflow.stream<1x1x1xi8>)
func.func @round_trip(%l0: !dataflow.stream<1x1x10xi8>, %l1: !dataflow.stream<1x1x10xi8>, %l2: !dataflow.stream<1x1x10xi8>, %x: !dataflow.stream<8x8x5xi8>, %d1: !dataflow.stream<1x1x1xi1>) -> (!dataflow.stream<1x1x10xi8>, !dataflow.stream<1x1x1xi8>, !dataflow.stream<8x8x5xi8>) {
  %l0a, %l0b = dataflow.fork %l0 : !dataflow.stream<1x1x10xi8> -> !dataflow.stream<1x1x10xi8>, !dataflow.stream<1x1x10xi8>
  %d0 = dataflow.exit_decision %l0a {threshold = 0.8 : f64, scale = 0.0625 : f64, layer = "exit0.decision", dataflow.stage = 0 : i64} : !dataflow.stream<1x1x10xi8> -> !dataflow.stream<1x1x1xi1>
  %d0a, %d0b = dataflow.fork %d0 : !dataflow.stream<1x1x1xi1> -> !dataflow.stream<1x1x1xi1>, !dataflow.stream<1x1x1xi1>
  %kept = dataflow.conditional_buffer %x, %d0a {depth = 320 : i64, layer = "exit0.buffer", dataflow.stage = 1 : i64} : !dataflow.stream<8x8x5xi8>, !dataflow.stream<1x1x1xi1> -> !dataflow.stream<8x8x5xi8>
  %r, %which = dataflow.exit_merge %l0b, %d0b, %l1, %d1, %l2 {dataflow.stage = 0 : i64} : (!dataflow.stream<1x1x10xi8>, !dataflow.stream<1x1x1xi1>, !dataflow.stream<1x1x10xi8>, !dataflow.stream<1x1x1xi1>, !dataflow.stream<1x1x10xi8>) -> (!dataflow.stream<1x1x10xi8>, !dataflow.stream<1x1x1xi8>)
  func.return %r, %which, %kept : !dataflow.stream<1x1x10xi8>, !dataflow.stream<1x1x1xi8>, !dataflow.stream<8x8x5xi8>
}

// -----
// Float logits need no scale; the threshold may be exactly 1.
// CHECK-LABEL: func.func @float_logits
// CHECK:         dataflow.exit_decision %l {threshold = 1.000000e+00 : f64} : !dataflow.stream<1x1x4xf32> -> !dataflow.stream<1x1x1xi1>
func.func @float_logits(%l: !dataflow.stream<1x1x4xf32>) -> !dataflow.stream<1x1x1xi1> {
  %d = dataflow.exit_decision %l {threshold = 1.0 : f64} : !dataflow.stream<1x1x4xf32> -> !dataflow.stream<1x1x1xi1>
  func.return %d : !dataflow.stream<1x1x1xi1>
}
