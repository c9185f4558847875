// Each chunk holds one invalid op; the verifier names the op and the problem.
// RUN: fpga-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @coarse_in_not_divisor(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8, coarse_in = 3 : i64, layer = "conv0"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}invalid.mlir:5:3: 'dataflow.conv' op "conv0": coarse_in = 3 does not divide input channels per group = 4

// -----
// coarse_out need not divide the output channels (the last pass is padded), but a pass cannot be
// wider than the channels.
func.func @coarse_out_too_wide(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x6xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8, coarse_out = 7 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x6xi32>
  func.return %c : !dataflow.stream<8x8x6xi32>
}
// CHECK: error: {{.*}}invalid.mlir:14:3: 'dataflow.conv' op: coarse_out = 7 must be in [1, 6] (output channels per group)

// -----
// Likewise fine: any number of kernel positions a pass up to Kh*Kw.
func.func @fine_too_large(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8, fine = 10 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: fine = 10 must be in [1, 9] (kernel size Kh*Kw)

// -----
// Padded output passes hold whole groups: with coarse_group > 1, coarse_out must divide.
func.func @padded_passes_with_groups(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x12xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, groups = 2 : i64, weights = "w", weight_type = i8, coarse_out = 4 : i64, coarse_group = 2 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x12xi32>
  func.return %c : !dataflow.stream<8x8x12xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: coarse_out = 4 must divide output channels per group = 6 when coarse_group > 1

// -----
func.func @reuse_not_divisor(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8, reuse = 3 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: reuse = 3 does not divide output width = 8

// -----
func.func @wrong_output_size(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: result is 8x8 but kernel [3, 3], stride [1, 1] and pad [0, 0, 0, 0] on a 8x8 input give 6x6

// -----
func.func @zero_stride(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 0, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: stride must be two positive integers [Sh, Sw], got [0, 1]

// -----
func.func @bad_kernel(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: kernel must be two positive integers [Kh, Kw], got [3]

// -----
func.func @pad_too_large(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<12x12x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 3, 3, 3, 3>, weights = "w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<12x12x4xi32>
  func.return %c : !dataflow.stream<12x12x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: pad [3, 3, 3, 3] must be smaller than the kernel [3, 3]

// -----
func.func @groups_not_divisor(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x6xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, groups = 4 : i64, weights = "w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x6xi32>
  func.return %c : !dataflow.stream<8x8x6xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: groups = 4 must divide both input channels (4) and output channels (6)

// -----
func.func @narrow_accumulator(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  func.return %c : !dataflow.stream<8x8x4xi8>
}
// CHECK: error: {{.*}}'dataflow.conv' op: an integer conv without requant emits its accumulator and needs a result of at least 32 bits, got i8

// -----
func.func @requant_too_wide(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = -200, max = 200>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  func.return %c : !dataflow.stream<8x8x4xi8>
}
// CHECK: error: {{.*}}'dataflow.conv' op: 'requant' saturates to [-200, 200], which does not fit the result type i8

// -----
func.func @mixed_types(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xf32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xf32>
  func.return %c : !dataflow.stream<8x8x4xf32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: input and result mixes integer and float element types (i8 vs f32)

// -----
func.func @side_without_centre(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<7x7x4xi32> {
  %c, %s = dataflow.conv %x {kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<7x7x4xi32>, !dataflow.stream<7x7x4xi8>)
  func.return %c : !dataflow.stream<7x7x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: a side result needs an odd kernel with a centre pixel, got 2x2

// -----
func.func @skip_shape(%x: !dataflow.stream<8x8x4xi8>, %y: !dataflow.stream<4x4x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x, %y {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>, !dataflow.stream<4x4x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: skip stream is 4x4x4 but the result is 8x8x4

// -----
func.func @linear_not_vector(%x: !dataflow.stream<2x2x4xi8>) -> !dataflow.stream<2x1x10xi32> {
  %l = dataflow.linear %x {weights = "w", weight_type = i8} : !dataflow.stream<2x2x4xi8> -> !dataflow.stream<2x1x10xi32>
  func.return %l : !dataflow.stream<2x1x10xi32>
}
// CHECK: error: {{.*}}'dataflow.linear' op: result must be 1x1xN, got 2x1x10

// -----
func.func @linear_coarse(%x: !dataflow.stream<2x2x4xi8>) -> !dataflow.stream<1x1x10xi32> {
  %l = dataflow.linear %x {weights = "w", weight_type = i8, coarse_in = 3 : i64} : !dataflow.stream<2x2x4xi8> -> !dataflow.stream<1x1x10xi32>
  func.return %l : !dataflow.stream<1x1x10xi32>
}
// CHECK: error: {{.*}}'dataflow.linear' op: coarse_in = 3 does not divide input features H*W*C = 16

// -----
func.func @pool_mode(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x4xi8> {
  %p = dataflow.pool %x {mode = "min", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<4x4x4xi8>
  func.return %p : !dataflow.stream<4x4x4xi8>
}
// CHECK: error: {{.*}}'dataflow.pool' op: mode must be 'max' or 'avg', got 'min'

// -----
func.func @pool_channels(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8> {
  %p = dataflow.pool %x {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, coarse = 3 : i64} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<4x4x8xi8>
  func.return %p : !dataflow.stream<4x4x8xi8>
}
// CHECK: error: {{.*}}'dataflow.pool' op: pooling keeps channels (4) but the result has 8

// -----
func.func @pool_coarse(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x4xi8> {
  %p = dataflow.pool %x {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, coarse = 3 : i64} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<4x4x4xi8>
  func.return %p : !dataflow.stream<4x4x4xi8>
}
// CHECK: error: {{.*}}'dataflow.pool' op: coarse = 3 does not divide channels = 4

// -----
func.func @global_pool_shape(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<1x1x8xi32> {
  %g = dataflow.global_pool %x {mode = "avg"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<1x1x8xi32>
  func.return %g : !dataflow.stream<1x1x8xi32>
}
// CHECK: error: {{.*}}'dataflow.global_pool' op: result must be 1x1x4, got 1x1x8

// -----
func.func @add_shapes(%x: !dataflow.stream<8x8x4xi8>, %y: !dataflow.stream<8x8x8xi8>) -> !dataflow.stream<8x8x4xi8> {
  %a = dataflow.add %x, %y : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x8xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %a : !dataflow.stream<8x8x4xi8>
}
// CHECK: error: {{.*}}'dataflow.add' op: operands and result must have the same shape, got 8x8x4, 8x8x8 -> 8x8x4

// -----
func.func @concat_channels(%x: !dataflow.stream<8x8x4xi8>, %y: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x9xi8> {
  %c = dataflow.concat %x, %y : (!dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x9xi8>
  func.return %c : !dataflow.stream<8x8x9xi8>
}
// CHECK: error: {{.*}}'dataflow.concat' op: inputs have 8 channels in all but the result has 9

// -----
func.func @fork_one(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %f = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %f : !dataflow.stream<8x8x4xi8>
}
// CHECK: error: {{.*}}'dataflow.fork' op: needs at least two results, got 1

// -----
func.func @buffer_depth(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %b = dataflow.buffer %x {depth = -1 : i64} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %b : !dataflow.stream<8x8x4xi8>
}
// CHECK: error: {{.*}}'dataflow.buffer' op: depth must be >= 0, got -1

// -----
func.func @requant_rounding(%x: !dataflow.stream<8x8x4xi32>) -> !dataflow.stream<8x8x4xi8> {
  %r = dataflow.requantize %x {requant = #dataflow.requant<multiplier = 1, shift = 4, rounding = "stochastic">} : !dataflow.stream<8x8x4xi32> -> !dataflow.stream<8x8x4xi8>
  func.return %r : !dataflow.stream<8x8x4xi8>
}
// CHECK: error: {{.*}}invalid.mlir:184:3: #dataflow.requant rounding must be one of half_even, half_up, half_away, floor, got 'stochastic'

// -----
func.func @requant_float(%x: !dataflow.stream<8x8x4xf32>) -> !dataflow.stream<8x8x4xi8> {
  %r = dataflow.requantize %x {requant = #dataflow.requant<multiplier = 1, shift = 4>} : !dataflow.stream<8x8x4xf32> -> !dataflow.stream<8x8x4xi8>
  func.return %r : !dataflow.stream<8x8x4xi8>
}
// CHECK: error: {{.*}}'dataflow.requantize' op: input must be an integer stream, got f32

// -----
func.func @int_leaky(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %a = dataflow.activation %x {activation = #dataflow.act<kind = "leaky_relu", alpha = 0.1>} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %a : !dataflow.stream<8x8x4xi8>
}
// CHECK: error: {{.*}}'dataflow.activation' op: activation 'leaky_relu' has no integer form; fold it before quantising

// -----
func.func @int_softmax(%x: !dataflow.stream<1x1x4xi8>) -> !dataflow.stream<1x1x4xi8> {
  %s = dataflow.softmax %x : !dataflow.stream<1x1x4xi8> -> !dataflow.stream<1x1x4xi8>
  func.return %s : !dataflow.stream<1x1x4xi8>
}
// CHECK: error: {{.*}}'dataflow.softmax' op: softmax needs a float stream, got i8

// -----
func.func @bad_threshold(%x: !dataflow.stream<1x1x4xf32>) -> !dataflow.stream<1x1x1xi1> {
  %d = dataflow.exit_decision %x {threshold = 1.5 : f64} : !dataflow.stream<1x1x4xf32> -> !dataflow.stream<1x1x1xi1>
  func.return %d : !dataflow.stream<1x1x1xi1>
}
// CHECK: error: {{.*}}'dataflow.exit_decision' op: threshold must be in (0, 1], got 1.5

// -----
func.func @bad_stream(%x: !dataflow.stream<8x8xi8>) -> !dataflow.stream<8x8xi8> {
  func.return %x : !dataflow.stream<8x8xi8>
}
// CHECK: error: {{.*}}invalid.mlir:218:1: !dataflow.stream needs exactly 3 dimensions (H x W x C), got 2

// -----
func.func @unknown_requant_field(%x: !dataflow.stream<8x8x4xi32>) -> !dataflow.stream<8x8x4xi8> {
  %r = dataflow.requantize %x {requant = #dataflow.requant<multiplier = 1, shift = 4, scale = 2>} : !dataflow.stream<8x8x4xi32> -> !dataflow.stream<8x8x4xi8>
  func.return %r : !dataflow.stream<8x8x4xi8>
}
// CHECK: error: {{.*}}:{{[0-9]+}}:{{[0-9]+}}: #dataflow.requant has no field(s) ['scale']

// -----
func.func @reuse_not_divisor(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8, reuse = 3 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: reuse = 3 does not divide output width = 8

// -----
func.func @reuse_zero(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8, reuse = 0 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: reuse must be >= 1, got 0

// -----
func.func @terms_zero(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8, coarse_in = 4 : i64, terms = 0 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: terms must be >= 1, got 0

// -----
func.func @terms_needs_every_channel(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8, coarse_in = 2 : i64, terms = 5 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: terms = 5 needs coarse_in = C_in/groups (4) and fine = 1 (a flattened pass slices one whole window)

// -----
func.func @terms_with_fine(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8, coarse_in = 4 : i64, fine = 3 : i64, terms = 5 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: terms = 5 needs coarse_in = C_in/groups (4) and fine = 1 (a flattened pass slices one whole window)

// -----
func.func @terms_beyond_window(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8, coarse_in = 4 : i64, terms = 37 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: terms = 37 must be at most C_in/groups x Kh*Kw = 36 (the window's products)

// -----
func.func @terms_multiple_of_coarse_in(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "w", weight_type = i8, coarse_in = 4 : i64, terms = 8 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: terms = 8 is a multiple of coarse_in = 4: use fine = 2

// -----
func.func @window_depth_zero(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x4xi8> {
  %p = dataflow.pool %x {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, window_depth = 0 : i64} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<4x4x4xi8>
  func.return %p : !dataflow.stream<4x4x4xi8>
}
// CHECK: error: {{.*}}'dataflow.pool' op: window_depth must be >= 1 window, got 0

// -----
func.func @dilation_zero(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, dilation = array<i64: 0, 1>, weights = "w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: dilation must be two positive integers [Dh, Dw], got [0, 1]

// -----
func.func @dilated_output_size(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, dilation = array<i64: 2, 2>, weights = "w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  func.return %c : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: result is 8x8 but kernel [3, 3] (dilation [2, 2]: spans [5, 5]), stride [1, 1] and pad [1, 1, 1, 1] on a 8x8 input give 6x6

// -----
func.func @dilated_too_large(%x: !dataflow.stream<4x4x4xi8>) -> !dataflow.stream<1x1x4xi32> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, dilation = array<i64: 3, 1>, weights = "w", weight_type = i8} : (!dataflow.stream<4x4x4xi8>) -> !dataflow.stream<1x1x4xi32>
  func.return %c : !dataflow.stream<1x1x4xi32>
}
// CHECK: error: {{.*}}'dataflow.conv' op: kernel [3, 3] (dilation [3, 1]: spans [7, 3]) is larger than the padded input 4x4

// -----
func.func @dilated_side(%x: !dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<8x8x4xi32>, !dataflow.stream<8x8x4xi8>) {
  %c, %s = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 2, 2, 2, 2>, dilation = array<i64: 2, 2>, weights = "w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<8x8x4xi32>, !dataflow.stream<8x8x4xi8>)
  func.return %c, %s : !dataflow.stream<8x8x4xi32>, !dataflow.stream<8x8x4xi8>
}
// CHECK: error: {{.*}}'dataflow.conv' op: a side result needs an undilated kernel, got dilation [2, 2]

// -----
func.func @max_pool_exclude_pad(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %p = dataflow.pool %x {mode = "max", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, exclude_pad} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %p : !dataflow.stream<8x8x4xi8>
}
// CHECK: error: {{.*}}'dataflow.pool' op: exclude_pad is for average pooling (max pooling never counts)

// -----
func.func @exclude_pad_needs_requant(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32> {
  %p = dataflow.pool %x {mode = "avg", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, exclude_pad} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi32>
  func.return %p : !dataflow.stream<8x8x4xi32>
}
// CHECK: error: {{.*}}'dataflow.pool' op: an integer average with exclude_pad needs a requant (it divides each window's sum by its count of real pixels)

// -----
func.func @qdq_scales_without_exclude_pad(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %p = dataflow.pool %x {mode = "avg", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, requant = #dataflow.requant<multiplier = 3, shift = 5>, qdq_scales = array<f32: 0.5, 0.5>} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %p : !dataflow.stream<8x8x4xi8>
}
// CHECK: error: {{.*}}'dataflow.pool' op: qdq_scales is for an integer average with exclude_pad and a requant (it computes that mean in the QDQ reference's float32 arithmetic)

// -----
func.func @qdq_scales_two_f32(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %p = dataflow.pool %x {mode = "avg", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, requant = #dataflow.requant<multiplier = 3, shift = 5>, exclude_pad, qdq_scales = array<f32: 0.5>} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %p : !dataflow.stream<8x8x4xi8>
}
// CHECK: error: {{.*}}'dataflow.pool' op: qdq_scales must be array<f32: s_in, s_out>

// -----
func.func @qdq_scales_positive(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %p = dataflow.pool %x {mode = "avg", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, requant = #dataflow.requant<multiplier = 3, shift = 5>, exclude_pad, qdq_scales = array<f32: 0.5, 0.0>} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %p : !dataflow.stream<8x8x4xi8>
}
// CHECK: error: {{.*}}'dataflow.pool' op: qdq_scales must be positive and finite, got [0.5, 0.0]

// -----
func.func @fine_bias_count(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x2xi8> {
  %c = dataflow.conv %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "w", weight_type = i8, requant = #dataflow.requant<multiplier = 3, shift = 12, fine_bias = [1, 2, 3]>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x2xi8>
  func.return %c : !dataflow.stream<8x8x2xi8>
}
// CHECK: error: {{.*}}'dataflow.conv' op: 'requant' has 3 fine biases for 2 channels

// -----
func.func @fine_bias_half_lsb(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x2xi8> {
  %c = dataflow.conv %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "w", weight_type = i8, requant = #dataflow.requant<multiplier = 3, shift = 12, fine_bias = [2048, 0]>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x2xi8>
  func.return %c : !dataflow.stream<8x8x2xi8>
}
// CHECK: error: {{.*}}#dataflow.requant fine_bias must be below 2^(shift-1) and 2^31 in magnitude, got 2048

// -----
func.func @fine_bias_on_an_add(%a: !dataflow.stream<8x8x2xi8>, %b: !dataflow.stream<8x8x2xi8>) -> !dataflow.stream<8x8x2xi8> {
  %s = dataflow.add %a, %b {requant = #dataflow.requant<multiplier = 3, shift = 4, fine_bias = [1, 1]>} : !dataflow.stream<8x8x2xi8>, !dataflow.stream<8x8x2xi8> -> !dataflow.stream<8x8x2xi8>
  func.return %s : !dataflow.stream<8x8x2xi8>
}
// CHECK: error: {{.*}}'dataflow.add' op: 'requant' has a fine bias; only a conv's or linear's requant may (per-channel weight scales, biases)

// -----
func.func @fine_bias_not_integers(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x2xi8> {
  %c = dataflow.conv %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "w", weight_type = i8, requant = #dataflow.requant<multiplier = 3, shift = 12, fine_bias = 4>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x2xi8>
  func.return %c : !dataflow.stream<8x8x2xi8>
}
// CHECK: error: {{.*}}#dataflow.requant 'fine_bias' must be a list of integers
