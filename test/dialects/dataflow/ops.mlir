// Every dataflow op round-trips: custom form, and generic form back to custom.
// RUN: fpga-opt %s | filecheck %s
// RUN: fpga-opt %s --print-op-generic | fpga-opt | filecheck %s
// RUN: fpga-opt %s --print-op-generic | filecheck %s --check-prefix=GENERIC

builtin.module attributes {dataflow.weights = "ops.weights.npz"} {

// CHECK-LABEL: func.func @int8_layers
// GENERIC-LABEL: sym_name = "int8_layers"
func.func @int8_layers(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<1x1x10xi8> {
  // CHECK: %{{.*}}, %{{.*}} = dataflow.fork %x {layer = "fork0"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  // GENERIC: "dataflow.fork"(%x) <{layer = "fork0", coarse = 1 : i64}>
  %f:2 = dataflow.fork %x {layer = "fork0"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  // CHECK: dataflow.conv %{{.*}} {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", bias = "c0.b", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, zero_point = 0, min = 0, max = 127, rounding = "half_even">, coarse_in = 2 : i64, coarse_out = 4 : i64, fine = 3 : i64, layer = "conv0"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  // GENERIC: "dataflow.conv"(%{{.*}}) <{kernel = array<i64: 3, 3>, {{.*}}coarse_in = 2 : i64, coarse_out = 4 : i64, fine = 3 : i64, layer = "conv0", groups = 1 : i64, acc_mult = 1 : i64, skip_mult = 1 : i64, coarse_group = 1 : i64}>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", bias = "c0.b", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, coarse_in = 2 : i64, coarse_out = 4 : i64, fine = 3 : i64, layer = "conv0"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  // CHECK: dataflow.conv %{{.*}} {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, groups = 8 : i64, weights = "dw.w", weight_type = i8, coarse_group = 4 : i64} : (!dataflow.stream<8x8x8xi8>) -> !dataflow.stream<8x8x8xi32>
  %dw = dataflow.conv %c0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, groups = 8 : i64, weights = "dw.w", weight_type = i8, coarse_group = 4 : i64} : (!dataflow.stream<8x8x8xi8>) -> !dataflow.stream<8x8x8xi32>
  // CHECK: dataflow.requantize %{{.*}} {requant = #dataflow.requant<multiplier = 3, shift = 12, zero_point = 0, min = -128, max = 127, rounding = "half_up">, coarse = 2 : i64} : !dataflow.stream<8x8x8xi32> -> !dataflow.stream<8x8x8xi8>
  %dq = dataflow.requantize %dw {requant = #dataflow.requant<multiplier = 3, shift = 12, rounding = "half_up">, coarse = 2 : i64} : !dataflow.stream<8x8x8xi32> -> !dataflow.stream<8x8x8xi8>
  // CHECK: dataflow.activation %{{.*}} {activation = #dataflow.act<kind = "relu">} : !dataflow.stream<8x8x8xi8> -> !dataflow.stream<8x8x8xi8>
  %da = dataflow.activation %dq {activation = #dataflow.act<kind = "relu">} : !dataflow.stream<8x8x8xi8> -> !dataflow.stream<8x8x8xi8>
  // CHECK: dataflow.buffer %{{.*}} {depth = 64 : i64} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  %b = dataflow.buffer %f#1 {depth = 64 : i64} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  // CHECK: dataflow.concat %{{.*}}, %{{.*}} {coarse = 4 : i64} : (!dataflow.stream<8x8x8xi8>, !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x12xi8>
  %cat = dataflow.concat %da, %b {coarse = 4 : i64} : (!dataflow.stream<8x8x8xi8>, !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x12xi8>
  // CHECK: dataflow.pool %{{.*}} {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>} : !dataflow.stream<8x8x12xi8> -> !dataflow.stream<4x4x12xi8>
  %p = dataflow.pool %cat {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>} : !dataflow.stream<8x8x12xi8> -> !dataflow.stream<4x4x12xi8>
  // CHECK: dataflow.pool %{{.*}} {mode = "avg", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, requant = #dataflow.requant<multiplier = 1, shift = 2, zero_point = 0, min = -128, max = 127, rounding = "half_even">, coarse = 3 : i64} : !dataflow.stream<4x4x12xi8> -> !dataflow.stream<2x2x12xi8>
  %ap = dataflow.pool %p {mode = "avg", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, requant = #dataflow.requant<multiplier = 1, shift = 2>, coarse = 3 : i64} : !dataflow.stream<4x4x12xi8> -> !dataflow.stream<2x2x12xi8>
  // CHECK: dataflow.global_pool %{{.*}} {mode = "avg"} : !dataflow.stream<2x2x12xi8> -> !dataflow.stream<1x1x12xi32>
  %g = dataflow.global_pool %ap {mode = "avg"} : !dataflow.stream<2x2x12xi8> -> !dataflow.stream<1x1x12xi32>
  %gq = dataflow.requantize %g {requant = #dataflow.requant<multiplier = 1, shift = 2>} : !dataflow.stream<1x1x12xi32> -> !dataflow.stream<1x1x12xi8>
  // CHECK: dataflow.linear %{{.*}} {weights = "fc.w", bias = "fc.b", weight_type = i8, requant = #dataflow.requant<multiplier = 5, shift = 10, zero_point = 0, min = -128, max = 127, rounding = "half_even">, coarse_in = 6 : i64, coarse_out = 5 : i64} : !dataflow.stream<1x1x12xi8> -> !dataflow.stream<1x1x10xi8>
  %l = dataflow.linear %gq {weights = "fc.w", bias = "fc.b", weight_type = i8, requant = #dataflow.requant<multiplier = 5, shift = 10>, coarse_in = 6 : i64, coarse_out = 5 : i64} : !dataflow.stream<1x1x12xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %l : !dataflow.stream<1x1x10xi8>
}

// CHECK-LABEL: func.func @residual_block
func.func @residual_block(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %c1 = dataflow.conv %c0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  %q1 = dataflow.requantize %c1 {requant = #dataflow.requant<multiplier = 1, shift = 7>} : !dataflow.stream<8x8x4xi32> -> !dataflow.stream<8x8x4xi8>
  %b = dataflow.buffer %f#1 {depth = 256 : i64} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  // CHECK: dataflow.add %{{.*}}, %{{.*}} {lhs_mult = 2 : i64, requant = #dataflow.requant<multiplier = 1, shift = 1, zero_point = 0, min = 0, max = 127, rounding = "half_even">} : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  %a = dataflow.add %q1, %b {lhs_mult = 2 : i64, requant = #dataflow.requant<multiplier = 1, shift = 1, min = 0>} : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %a : !dataflow.stream<8x8x4xi8>
}

// The fused forms written by merge-loops and minimize-residual-buffers.
// CHECK-LABEL: func.func @fused_residual_block
func.func @fused_residual_block(%x: !dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<4x4x8xi8>) {
  // CHECK: %{{.*}}, %{{.*}} = dataflow.conv %x {{.*}}side_weights = "ds.w", side_bias = "ds.b", side_requant = #dataflow.requant<{{.*}}>{{.*}} : (!dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8>)
  %c0, %ds = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, side_weights = "ds.w", side_bias = "ds.b", side_requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8>)
  %b = dataflow.buffer %ds {depth = 40 : i64} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<4x4x8xi8>
  // CHECK: dataflow.conv %{{.*}}, %{{.*}} {{{.*}}skip_mult = 2 : i64, skip_requant = #dataflow.requant<{{.*}}>{{.*}} : (!dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8>
  %c1 = dataflow.conv %c0, %b {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, skip_mult = 2 : i64, skip_requant = #dataflow.requant<multiplier = 1, shift = 1, min = 0>} : (!dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8>
  func.return %c1 : !dataflow.stream<4x4x8xi8>
}

// CHECK-LABEL: func.func @forward_centre_pixel
func.func @forward_centre_pixel(%x: !dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<8x8x4xi8>) {
  // CHECK: dataflow.conv %x {{.*}} : (!dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>)
  %c0, %centre = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>} : (!dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>)
  %b = dataflow.buffer %centre {depth = 44 : i64} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  %c1 = dataflow.conv %c0, %b {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, skip_requant = #dataflow.requant<multiplier = 1, shift = 0, min = 0>} : (!dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  func.return %c1 : !dataflow.stream<8x8x4xi8>
}

// CHECK-LABEL: func.func @float_layers
func.func @float_layers(%x: !dataflow.stream<4x4x2xf32>) -> !dataflow.stream<1x1x3xf32> {
  // CHECK: dataflow.conv %x {{{.*}}weight_type = f32, activation = #dataflow.act<kind = "clip", lo = 0.0, hi = 6.0>} : (!dataflow.stream<4x4x2xf32>) -> !dataflow.stream<4x4x2xf32>
  %c = dataflow.conv %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "pw.w", weight_type = f32, activation = #dataflow.act<kind = "clip", lo = 0.0, hi = 6.0>} : (!dataflow.stream<4x4x2xf32>) -> !dataflow.stream<4x4x2xf32>
  // CHECK: dataflow.activation %{{.*}} {activation = #dataflow.act<kind = "leaky_relu", alpha = 0.1>}
  %a = dataflow.activation %c {activation = #dataflow.act<kind = "leaky_relu", alpha = 0.1>} : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<4x4x2xf32>
  %l = dataflow.linear %a {weights = "fc.w", weight_type = f32} : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<1x1x3xf32>
  // CHECK: dataflow.softmax %{{.*}} : !dataflow.stream<1x1x3xf32> -> !dataflow.stream<1x1x3xf32>
  %s = dataflow.softmax %l : !dataflow.stream<1x1x3xf32> -> !dataflow.stream<1x1x3xf32>
  func.return %s : !dataflow.stream<1x1x3xf32>
}

// CHECK-LABEL: func.func @early_exit
func.func @early_exit(%x: !dataflow.stream<4x4x2xi8>) -> (!dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x1xi8>) {
  %f:2 = dataflow.fork %x : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>, !dataflow.stream<4x4x2xi8>
  %e0 = dataflow.linear %f#0 {weights = "e0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 5>} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<1x1x3xi8>
  %e0f:2 = dataflow.fork %e0 : !dataflow.stream<1x1x3xi8> -> !dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x3xi8>
  // CHECK: dataflow.exit_decision %{{.*}} {threshold = 9.000000e-01 : f64, scale = 1.250000e-01 : f64} : !dataflow.stream<1x1x3xi8> -> !dataflow.stream<1x1x1xi1>
  %d = dataflow.exit_decision %e0f#0 {threshold = 0.9 : f64, scale = 0.125 : f64} : !dataflow.stream<1x1x3xi8> -> !dataflow.stream<1x1x1xi1>
  %d2:2 = dataflow.fork %d : !dataflow.stream<1x1x1xi1> -> !dataflow.stream<1x1x1xi1>, !dataflow.stream<1x1x1xi1>
  // CHECK: dataflow.conditional_buffer %{{.*}}, %{{.*}} {depth = 64 : i64} : !dataflow.stream<4x4x2xi8>, !dataflow.stream<1x1x1xi1> -> !dataflow.stream<4x4x2xi8>
  %kept = dataflow.conditional_buffer %f#1, %d2#0 {depth = 64 : i64} : !dataflow.stream<4x4x2xi8>, !dataflow.stream<1x1x1xi1> -> !dataflow.stream<4x4x2xi8>
  %e1 = dataflow.linear %kept {weights = "e1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 5>} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<1x1x3xi8>
  // CHECK: dataflow.exit_merge %{{.*}}, %{{.*}}, %{{.*}} : (!dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x1xi1>, !dataflow.stream<1x1x3xi8>) -> (!dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x1xi8>)
  %r, %which = dataflow.exit_merge %e0f#1, %d2#1, %e1 : (!dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x1xi1>, !dataflow.stream<1x1x3xi8>) -> (!dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x1xi8>)
  func.return %r, %which : !dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x1xi8>
}


// Temporal reuse: two consecutive output pixels per weight fetch.
// CHECK-LABEL: func.func @temporal_reuse
// GENERIC-LABEL: sym_name = "temporal_reuse"
func.func @temporal_reuse(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8> {
  // CHECK: dataflow.conv %x {{.*}}coarse_out = 2 : i64, reuse = 2 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  // GENERIC: "dataflow.conv"(%x) <{{{.*}}reuse = 2 : i64{{.*}}}>
  %y = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_out = 2 : i64, reuse = 2 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  func.return %y : !dataflow.stream<8x8x8xi8>
}

// Flattened passes: 11 products of the channel-major 4x3x3 window a cycle (4 passes, the last
// one padded), a pass count no coarse_in x fine product reaches as cheaply.
// CHECK-LABEL: func.func @flattened_passes
// GENERIC-LABEL: sym_name = "flattened_passes"
func.func @flattened_passes(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8> {
  // CHECK: dataflow.conv %x {{.*}}coarse_in = 4 : i64, coarse_out = 8 : i64, terms = 11 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  // GENERIC: "dataflow.conv"(%x) <{{{.*}}terms = 11 : i64{{.*}}}>
  %y = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_in = 4 : i64, coarse_out = 8 : i64, terms = 11 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  func.return %y : !dataflow.stream<8x8x8xi8>
}

// Window streams deepened by size-fifos: 6 windows between the sliding window and the compute unit.
// CHECK-LABEL: func.func @window_depth
// GENERIC-LABEL: sym_name = "window_depth"
func.func @window_depth(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<2x2x8xi8> {
  // CHECK: dataflow.conv %x {{.*}}window_depth = 6 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8>
  // GENERIC: "dataflow.conv"(%x) <{{{.*}}window_depth = 6 : i64{{.*}}}>
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, window_depth = 6 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8>
  // CHECK: dataflow.pool %{{.*}} {{.*}}window_depth = 3 : i64} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<2x2x8xi8>
  %p = dataflow.pool %c {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, window_depth = 3 : i64} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<2x2x8xi8>
  func.return %p : !dataflow.stream<2x2x8xi8>
}

// A dilated conv: 3x3 taps two rows and three columns apart span 5x7 input pixels.
// CHECK-LABEL: func.func @dilated_conv
func.func @dilated_conv(%x: !dataflow.stream<9x8x4xi8>) -> !dataflow.stream<9x8x4xi8> {
  // CHECK: dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 2, 3, 2, 3>, dilation = array<i64: 2, 3>, weights = "d.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, zero_point = 0, min = -128, max = 127, rounding = "half_even">} : (!dataflow.stream<9x8x4xi8>) -> !dataflow.stream<9x8x4xi8>
  // GENERIC: "dataflow.conv"(%x) <{kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 2, 3, 2, 3>, dilation = array<i64: 2, 3>,
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 2, 3, 2, 3>, dilation = array<i64: 2, 3>, weights = "d.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>} : (!dataflow.stream<9x8x4xi8>) -> !dataflow.stream<9x8x4xi8>
  func.return %c : !dataflow.stream<9x8x4xi8>
}

// Average pooling that divides each window by its real pixels (ONNX count_include_pad = 0).
// CHECK-LABEL: func.func @exclude_pad_pools
func.func @exclude_pad_pools(%x: !dataflow.stream<8x8x4xi8>, %f: !dataflow.stream<8x8x4xf32>) -> (!dataflow.stream<8x8x4xi8>, !dataflow.stream<4x4x4xf32>) {
  // CHECK: dataflow.pool %x {mode = "avg", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, requant = #dataflow.requant<multiplier = 3, shift = 2, zero_point = 0, min = -128, max = 127, rounding = "half_even">, exclude_pad} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  // GENERIC: "dataflow.pool"(%x) <{{{.*}}exclude_pad{{.*}}}>
  %p = dataflow.pool %x {mode = "avg", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, requant = #dataflow.requant<multiplier = 3, shift = 2>, exclude_pad} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  // CHECK: dataflow.pool %f {mode = "avg", kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, exclude_pad} : !dataflow.stream<8x8x4xf32> -> !dataflow.stream<4x4x4xf32>
  %q = dataflow.pool %f {mode = "avg", kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, exclude_pad} : !dataflow.stream<8x8x4xf32> -> !dataflow.stream<4x4x4xf32>
  func.return %p, %q : !dataflow.stream<8x8x4xi8>, !dataflow.stream<4x4x4xf32>
}

// The same mean in the QDQ reference's float32 arithmetic: qdq_scales = [s_in, s_out] as f32.
// CHECK-LABEL: func.func @exclude_pad_qdq_scales
func.func @exclude_pad_qdq_scales(%x: !dataflow.stream<8x8x4xui8>) -> !dataflow.stream<8x8x4xui8> {
  // CHECK: dataflow.pool %x {mode = "avg", {{.*}}, exclude_pad, pad_value = 130 : i64, qdq_scales = array<f32: 0.131022722, 5.000000e-02>} : !dataflow.stream<8x8x4xui8> -> !dataflow.stream<8x8x4xui8>
  // GENERIC: "dataflow.pool"(%x) <{{{.*}}qdq_scales = array<f32: 0.131022722, 5.000000e-02>{{.*}}}>
  %p = dataflow.pool %x {mode = "avg", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, requant = #dataflow.requant<multiplier = 1, shift = 0, zero_point = 130, min = 0, max = 255>, exclude_pad, pad_value = 130 : i64, qdq_scales = array<f32: 0.131022722, 0.05>} : !dataflow.stream<8x8x4xui8> -> !dataflow.stream<8x8x4xui8>
  func.return %p : !dataflow.stream<8x8x4xui8>
}

// A QDQ bias at its exact value: a fine bias per output channel, added to the product before the shift.
// CHECK-LABEL: func.func @fine_bias
func.func @fine_bias(%x: !dataflow.stream<8x8x4xui8>) -> !dataflow.stream<8x8x2xui8> {
  // CHECK: requant = #dataflow.requant<multiplier = [1394958517, 781537538], shift = 41, fine_bias = [-5123, 77], zero_point = 3, min = 0, max = 255, rounding = "half_even">
  %c = dataflow.conv %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = [1394958517, 781537538], shift = 41, fine_bias = [-5123, 77], zero_point = 3, min = 0, max = 255>} : (!dataflow.stream<8x8x4xui8>) -> !dataflow.stream<8x8x2xui8>
  // CHECK: requant = #dataflow.requant<multiplier = 3, shift = 12, fine_bias = [1, -1], zero_point = 0, min = -128, max = 127, rounding = "half_even">
  %l = dataflow.conv %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 3, shift = 12, fine_bias = [1, -1]>} : (!dataflow.stream<8x8x4xui8>) -> !dataflow.stream<8x8x2xi8>
  func.return %c : !dataflow.stream<8x8x2xui8>
}

}
