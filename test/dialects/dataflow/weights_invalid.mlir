// Each chunk holds one invalid weights-family op; the verifier names the op and the problem.
// RUN: fpga-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @bad_placement(%x: !dataflow.stream<1x1x16xi8>) -> !dataflow.stream<1x1x4xi32> {
  %y = dataflow.linear %x {weights = "fc.w", weight_type = i8, weight_placement = "flash", layer = "fc"} : !dataflow.stream<1x1x16xi8> -> !dataflow.stream<1x1x4xi32>
  func.return %y : !dataflow.stream<1x1x4xi32>
}
// CHECK: 'dataflow.linear' op "fc": weight_placement must be one of bram, uram, lutram, dram, generated, got 'flash'

// -----
func.func @zero_reads() {
  dataflow.weight_stream {weights = "fc.w", weight_type = i8, reads = 0 : i64, bytes_per_cycle = 4.0 : f64, layer = "s"}
  func.return
}
// CHECK: 'dataflow.weight_stream' op "s": reads must be >= 1 per frame, got 0

// -----
func.func @no_bandwidth() {
  dataflow.weight_stream {weights = "fc.w", weight_type = i8, reads = 1 : i64, bytes_per_cycle = 0.0 : f64, layer = "s"}
  func.return
}
// CHECK: 'dataflow.weight_stream' op "s": bytes_per_cycle must be positive, got 0.0

// -----
func.func @long_burst() {
  dataflow.weight_stream {weights = "fc.w", weight_type = i8, reads = 1 : i64, bytes_per_cycle = 1.0 : f64, burst = 512 : i64, layer = "s"}
  func.return
}
// CHECK: 'dataflow.weight_stream' op "s": burst must be 1..256 AXI beats, got 512

// -----
func.func @bad_ratio() {
  dataflow.weights_generator {weights = "c.w.ovsf", source = "c.w", weight_type = i8, ratio = 1.5 : f64, block = 1 : i64, layer = "g"}
  func.return
}
// CHECK: 'dataflow.weights_generator' op "g": ratio must be in (0, 1], got 1.5

// -----
func.func @same_name() {
  dataflow.weights_generator {weights = "c.w", source = "c.w", weight_type = i8, ratio = 0.5 : f64, block = 1 : i64, layer = "g"}
  func.return
}
// CHECK: 'dataflow.weights_generator' op "g": the generated tensor must have its own name (weights = source = 'c.w')

// -----
func.func @bad_method() {
  dataflow.weights_generator {weights = "c.w.x", source = "c.w", weight_type = i8, method = "pca", ratio = 0.5 : f64, block = 1 : i64, layer = "g"}
  func.return
}
// CHECK: 'dataflow.weights_generator' op "g": method must be one of ovsf, got 'pca'

// -----
// A DRAM stream or a generator sends whole weight words: padded passes (coarse_out = 3 of 8 channels) are on chip only.
func.func @padded_off_chip(%i: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi32> {
  %c = dataflow.conv %i {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", weight_type = i8, weight_placement = "dram", coarse_out = 3 : i64, layer = "c"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi32>
  func.return %c : !dataflow.stream<8x8x8xi32>
}
// CHECK: 'dataflow.conv' op "c": off-chip weights need whole passes: coarse_out = 3 must divide 8 and fine = 1 must divide 9 (padded passes are on-chip only)

// -----
// Flattened passes (the last one padded) are on chip only too.
func.func @flattened_off_chip(%i: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi32> {
  %c = dataflow.conv %i {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", weight_type = i8, weight_placement = "dram", coarse_in = 4 : i64, coarse_out = 8 : i64, terms = 11 : i64, layer = "c"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi32>
  func.return %c : !dataflow.stream<8x8x8xi32>
}
// CHECK: 'dataflow.conv' op "c": terms = 11: off-chip weights need whole passes (the flattened form is on-chip only)
