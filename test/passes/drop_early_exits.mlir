// RUN: fpga-opt %s -p drop-early-exits | filecheck %s
// RUN: fpga-translate --import-onnx %examples/early_exit/digits_blenet_int8.onnx -o %t.mlir
// RUN: fpga-opt %t.mlir -p drop-early-exits | filecheck %s --check-prefix=DIGITS
// RUN: not fpga-opt %t.mlir -p 'split-exit-branches{thresholds=0.9},drop-early-exits' 2>&1 | filecheck %s --check-prefix=SPLIT

// The early exit's branch goes, the fork that fed it becomes a wire, the function returns the final
// exit alone with its own name and scale, and the early-exit attributes go.
// CHECK-LABEL: func.func @early_exit(%x: !dataflow.stream<16x16x8xi8>) -> !dataflow.stream<1x1x4xi8>
// CHECK-SAME:    attributes {dataflow.output_names = ["final"], dataflow.output_scales = [2.500000e-01 : f64]} {
// CHECK-NEXT:    %c0 = dataflow.conv %x
// CHECK-NEXT:    %c1 = dataflow.conv %c0
// CHECK-NEXT:    %g1 = dataflow.global_pool %c1
// CHECK-NEXT:    %e1 = dataflow.linear %g1
// CHECK-NEXT:    func.return %e1 : !dataflow.stream<1x1x4xi8>

// The digits B-LeNet without its early exit: the LeNet backbone and the final classifier.
// DIGITS:      func.func @digits_blenet_int8(%input: !dataflow.stream<16x16x1xi8>) -> !dataflow.stream<1x1x10xi8>
// DIGITS-NOT:  exit0
// DIGITS:      layer = "conv2
// DIGITS:      func.return %exit1.gemm_Gemm

// SPLIT:       error: drop-early-exits: @digits_blenet_int8 is already split; drop-early-exits takes the network as imported (before split-exit-branches)
func.func @early_exit(%x: !dataflow.stream<16x16x8xi8>) -> (!dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x4xi8>)
    attributes {dataflow.exits = 2 : i64, dataflow.output_names = ["early", "final"], dataflow.output_scales = [0.25 : f64, 0.25 : f64],
                dataflow.exit_thresholds = [0.9 : f64], dataflow.exit_probabilities = [0.75 : f64, 0.25 : f64]} {
  %c0 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "c0"} : (!dataflow.stream<16x16x8xi8>) -> !dataflow.stream<16x16x8xi8>
  %f:2 = dataflow.fork %c0 : !dataflow.stream<16x16x8xi8> -> !dataflow.stream<16x16x8xi8>, !dataflow.stream<16x16x8xi8>
  %g0 = dataflow.global_pool %f#0 {mode = "avg", requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "gap0"} : !dataflow.stream<16x16x8xi8> -> !dataflow.stream<1x1x8xi8>
  %e0 = dataflow.linear %g0 {weights = "e0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "e0"} : !dataflow.stream<1x1x8xi8> -> !dataflow.stream<1x1x4xi8>
  %c1 = dataflow.conv %f#1 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "c1"} : (!dataflow.stream<16x16x8xi8>) -> !dataflow.stream<16x16x8xi8>
  %g1 = dataflow.global_pool %c1 {mode = "avg", requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "gap1"} : !dataflow.stream<16x16x8xi8> -> !dataflow.stream<1x1x8xi8>
  %e1 = dataflow.linear %g1 {weights = "e1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "e1"} : !dataflow.stream<1x1x8xi8> -> !dataflow.stream<1x1x4xi8>
  func.return %e0, %e1 : !dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x4xi8>
}
