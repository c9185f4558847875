// Each chunk holds one invalid binarised op; the verifier names the op and the problem.
// RUN: fpga-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @xnor_input_not_bits(%x: !dataflow.stream<1x1x8xi8>) -> !dataflow.stream<1x1x4xui1> {
  %y = dataflow.xnor_linear %x {weights = "w", thresholds = "t", layer = "fc"} : !dataflow.stream<1x1x8xi8> -> !dataflow.stream<1x1x4xui1>
  func.return %y : !dataflow.stream<1x1x4xui1>
}
// CHECK: error: {{.*}}binary_invalid.mlir:5:3: 'dataflow.xnor_linear' op "fc": input must be a binarised stream of ui1, got i8

// -----
func.func @thresholded_result_not_bits(%x: !dataflow.stream<1x1x8xui1>) -> !dataflow.stream<1x1x4xi32> {
  %y = dataflow.xnor_linear %x {weights = "w", thresholds = "t"} : !dataflow.stream<1x1x8xui1> -> !dataflow.stream<1x1x4xi32>
  func.return %y : !dataflow.stream<1x1x4xi32>
}
// CHECK: error: {{.*}}'dataflow.xnor_linear' op: with thresholds the result must be a binarised stream of ui1, got i32

// -----
func.func @dot_product_too_narrow(%x: !dataflow.stream<1x1x64xui1>) -> !dataflow.stream<1x1x4xi7> {
  %y = dataflow.xnor_linear %x {weights = "w"} : !dataflow.stream<1x1x64xui1> -> !dataflow.stream<1x1x4xi7>
  func.return %y : !dataflow.stream<1x1x4xi7>
}
// CHECK: error: {{.*}}'dataflow.xnor_linear' op: result type i7 cannot hold the dot product range [-64, 64]

// -----
func.func @xnor_linear_not_a_vector(%x: !dataflow.stream<1x1x8xui1>) -> !dataflow.stream<2x2x1xui1> {
  %y = dataflow.xnor_linear %x {weights = "w", thresholds = "t"} : !dataflow.stream<1x1x8xui1> -> !dataflow.stream<2x2x1xui1>
  func.return %y : !dataflow.stream<2x2x1xui1>
}
// CHECK: error: {{.*}}'dataflow.xnor_linear' op: result must be 1x1xN, got 2x2x1

// -----
func.func @xnor_coarse_in(%x: !dataflow.stream<1x1x8xui1>) -> !dataflow.stream<1x1x4xui1> {
  %y = dataflow.xnor_linear %x {weights = "w", thresholds = "t", coarse_in = 3 : i64} : !dataflow.stream<1x1x8xui1> -> !dataflow.stream<1x1x4xui1>
  func.return %y : !dataflow.stream<1x1x4xui1>
}
// CHECK: error: {{.*}}'dataflow.xnor_linear' op: coarse_in = 3 does not divide input features H*W*C = 8

// -----
func.func @conv_padded(%x: !dataflow.stream<6x6x2xui1>) -> !dataflow.stream<6x6x4xui1> {
  %y = dataflow.xnor_conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", thresholds = "t"} : !dataflow.stream<6x6x2xui1> -> !dataflow.stream<6x6x4xui1>
  func.return %y : !dataflow.stream<6x6x4xui1>
}
// CHECK: error: {{.*}}'dataflow.xnor_conv' op: pad must be [0, 0, 0, 0], got [1, 1, 1, 1]: a binarised stream has no zero to pad with

// -----
func.func @conv_wrong_size(%x: !dataflow.stream<6x6x2xui1>) -> !dataflow.stream<5x5x4xui1> {
  %y = dataflow.xnor_conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "w", thresholds = "t"} : !dataflow.stream<6x6x2xui1> -> !dataflow.stream<5x5x4xui1>
  func.return %y : !dataflow.stream<5x5x4xui1>
}
// CHECK: error: {{.*}}'dataflow.xnor_conv' op: result is 5x5 but kernel [3, 3], stride [1, 1] and pad [0, 0, 0, 0] on a 6x6 input give 4x4

// -----
func.func @conv_fine(%x: !dataflow.stream<6x6x2xui1>) -> !dataflow.stream<4x4x4xui1> {
  %y = dataflow.xnor_conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "w", thresholds = "t", fine = 2 : i64} : !dataflow.stream<6x6x2xui1> -> !dataflow.stream<4x4x4xui1>
  func.return %y : !dataflow.stream<4x4x4xui1>
}
// CHECK: error: {{.*}}'dataflow.xnor_conv' op: fine = 2 does not divide kernel size Kh*Kw = 9

// -----
func.func @lut_k_too_large(%x: !dataflow.stream<1x1x16xui1>) -> !dataflow.stream<1x1x4xui1> {
  %y = dataflow.lut_linear %x {k = 7 : i64, luts = 4 : i64, indices = "i", tables = "t", thresholds = "th", layer = "lut0"} : !dataflow.stream<1x1x16xui1> -> !dataflow.stream<1x1x4xui1>
  func.return %y : !dataflow.stream<1x1x4xui1>
}
// CHECK: error: {{.*}}'dataflow.lut_linear' op "lut0": k must be in [1, 6] (inputs of one LUT), got 7

// -----
func.func @lut_k_zero(%x: !dataflow.stream<1x1x16xui1>) -> !dataflow.stream<1x1x4xui1> {
  %y = dataflow.lut_linear %x {k = 0 : i64, luts = 4 : i64, indices = "i", tables = "t", thresholds = "th"} : !dataflow.stream<1x1x16xui1> -> !dataflow.stream<1x1x4xui1>
  func.return %y : !dataflow.stream<1x1x4xui1>
}
// CHECK: error: {{.*}}'dataflow.lut_linear' op: k must be in [1, 6] (inputs of one LUT), got 0

// -----
func.func @lut_k_exceeds_inputs(%x: !dataflow.stream<1x1x3xui1>) -> !dataflow.stream<1x1x4xui1> {
  %y = dataflow.lut_linear %x {k = 4 : i64, luts = 4 : i64, indices = "i", tables = "t", thresholds = "th"} : !dataflow.stream<1x1x3xui1> -> !dataflow.stream<1x1x4xui1>
  func.return %y : !dataflow.stream<1x1x4xui1>
}
// CHECK: error: {{.*}}'dataflow.lut_linear' op: k = 4 exceeds the 3 input bits

// -----
func.func @lut_no_luts(%x: !dataflow.stream<1x1x16xui1>) -> !dataflow.stream<1x1x4xui1> {
  %y = dataflow.lut_linear %x {k = 4 : i64, luts = 0 : i64, indices = "i", tables = "t", thresholds = "th"} : !dataflow.stream<1x1x16xui1> -> !dataflow.stream<1x1x4xui1>
  func.return %y : !dataflow.stream<1x1x4xui1>
}
// CHECK: error: {{.*}}'dataflow.lut_linear' op: luts must be >= 1, got 0

// -----
func.func @lut_dot_product_too_narrow(%x: !dataflow.stream<1x1x16xui1>) -> !dataflow.stream<1x1x4xi4> {
  %y = dataflow.lut_linear %x {k = 4 : i64, luts = 8 : i64, indices = "i", tables = "t"} : !dataflow.stream<1x1x16xui1> -> !dataflow.stream<1x1x4xi4>
  func.return %y : !dataflow.stream<1x1x4xi4>
}
// CHECK: error: {{.*}}'dataflow.lut_linear' op: result type i4 cannot hold the dot product range [-8, 8]

// -----
func.func @threshold_result_not_bits(%x: !dataflow.stream<4x4x2xui8>) -> !dataflow.stream<4x4x2xui8> {
  %y = dataflow.threshold %x {thresholds = "t"} : !dataflow.stream<4x4x2xui8> -> !dataflow.stream<4x4x2xui8>
  func.return %y : !dataflow.stream<4x4x2xui8>
}
// CHECK: error: {{.*}}'dataflow.threshold' op: the result must be a binarised stream of ui1, got ui8

// -----
func.func @threshold_shape(%x: !dataflow.stream<4x4x2xui8>) -> !dataflow.stream<4x4x1xui1> {
  %y = dataflow.threshold %x {thresholds = "t"} : !dataflow.stream<4x4x2xui8> -> !dataflow.stream<4x4x1xui1>
  func.return %y : !dataflow.stream<4x4x1xui1>
}
// CHECK: error: {{.*}}'dataflow.threshold' op: result is 4x4x1 but the input is 4x4x2
