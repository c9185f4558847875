// RUN: fpga-opt %s --split-input-file -p merge-loops | filecheck %s
// RUN: fpga-opt %s --split-input-file --pass-pipeline='builtin.module(merge-loops)' | filecheck %s
// RUN: fpga-opt %s --split-input-file -p 'merge-loops{fold-add=false merge-downsample=false fuse-pointwise=false}' | filecheck %s --check-prefix=OFF
// RUN: fpga-opt %s --split-input-file -p 'merge-loops{board=kv260 max-util=0.009}' | filecheck %s --check-prefix=FIT
// RUN: fpga-opt %s --split-input-file -p 'merge-loops{reuse=4}' | filecheck %s --check-prefix=REUSE

// Each case shows the input; the CHECK lines give the IR after merge-loops.
// The residual add at the end of the long branch becomes conv1's epilogue: the
// skip is the add's other operand, lhs_mult (conv1's side) is acc_mult, the add's
// requant is skip_requant.  The add is gone.
// CHECK-LABEL: func.func @add_into_conv
// CHECK-NEXT:    %[[F:.*]], %[[S:.*]] = dataflow.fork %x
// CHECK-NEXT:    %[[C0:.*]] = dataflow.conv %[[F]] {{.*}}layer = "conv0"
// CHECK-NEXT:    %[[Y:.*]] = dataflow.conv %[[C0]], %[[S]] {{{.*}}weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, {{.*}}>, layer = "conv1", acc_mult = 2 : i64, skip_requant = #dataflow.requant<multiplier = 1, shift = 1, zero_point = 0, min = 0, max = 127, rounding = "half_even">} : (!dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
// CHECK-NEXT:    func.return %[[Y]]
// CHECK-NOT:     dataflow.add
func.func @add_into_conv(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "conv0"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %c1 = dataflow.conv %c0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "conv1"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %a = dataflow.add %c1, %f#1 {lhs_mult = 2 : i64, requant = #dataflow.requant<multiplier = 1, shift = 1, min = 0>, layer = "add"} : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %a : !dataflow.stream<8x8x4xi8>
}

// -----
// The conv is the add's rhs: rhs_mult becomes acc_mult, lhs_mult skip_mult.
// CHECK-LABEL: func.func @add_rhs_into_conv
// CHECK:         %[[Y:.*]] = dataflow.conv %{{.*}}, %{{.*}} {{{.*}}acc_mult = 5 : i64, skip_mult = 3 : i64, skip_requant = #dataflow.requant<multiplier = 1, shift = 3,
// CHECK-NEXT:    func.return %[[Y]]
func.func @add_rhs_into_conv(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %a = dataflow.add %f#1, %c0 {lhs_mult = 3 : i64, rhs_mult = 5 : i64, requant = #dataflow.requant<multiplier = 1, shift = 3>} : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %a : !dataflow.stream<8x8x4xi8>
}

// -----
// Both operands are single-use convs (a downsample block): the add goes into the
// deeper one, the end of the long branch, not into the 1x1 downsample.
// CHECK-LABEL: func.func @add_into_deeper_conv
// CHECK-NEXT:    %[[C0:.*]], %[[SIDE:.*]] = dataflow.conv %x {{{.*}}layer = "conv0", side_weights = "d.w", side_requant = #dataflow.requant<multiplier = 1, shift = 5,
// CHECK-NEXT:    %[[Y:.*]] = dataflow.conv %[[C0]], %[[SIDE]] {{{.*}}layer = "conv1", skip_requant = #dataflow.requant<multiplier = 1, shift = 1, zero_point = 0, min = 0,
// CHECK-NEXT:    func.return %[[Y]]
func.func @add_into_deeper_conv(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "conv0"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8>
  %c1 = dataflow.conv %c0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "conv1"} : (!dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8>
  %d = dataflow.conv %f#1 {kernel = array<i64: 1, 1>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, weights = "d.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 5>, layer = "down"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8>
  %a = dataflow.add %d, %c1 {requant = #dataflow.requant<multiplier = 1, shift = 1, min = 0>} : !dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8> -> !dataflow.stream<4x4x8xi8>
  func.return %a : !dataflow.stream<4x4x8xi8>
}

// -----
// Float: the add's activation becomes the conv's (applied after the skip add).
// CHECK-LABEL: func.func @float_add_into_conv
// CHECK:         dataflow.conv %{{.*}}, %{{.*}} {{{.*}}weight_type = f32, activation = #dataflow.act<kind = "relu">} : (!dataflow.stream<8x8x4xf32>, !dataflow.stream<8x8x4xf32>) -> !dataflow.stream<8x8x4xf32>
// CHECK-NOT:     dataflow.add
func.func @float_add_into_conv(%x: !dataflow.stream<8x8x4xf32>) -> !dataflow.stream<8x8x4xf32> {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xf32> -> !dataflow.stream<8x8x4xf32>, !dataflow.stream<8x8x4xf32>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", bias = "c0.b", weight_type = f32} : (!dataflow.stream<8x8x4xf32>) -> !dataflow.stream<8x8x4xf32>
  %a = dataflow.add %c0, %f#1 {activation = #dataflow.act<kind = "relu">} : !dataflow.stream<8x8x4xf32>, !dataflow.stream<8x8x4xf32> -> !dataflow.stream<8x8x4xf32>
  func.return %a : !dataflow.stream<8x8x4xf32>
}

// -----
// Not folded: the conv's result has a second reader, so the add must stay.
// CHECK-LABEL: func.func @no_fold_conv_two_users
// CHECK:         dataflow.fork
// CHECK-NEXT:    dataflow.add
func.func @no_fold_conv_two_users(%x: !dataflow.stream<8x8x4xi8>, %y: !dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>) {
  %c0 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %f:2 = dataflow.fork %c0 : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %a = dataflow.add %f#0, %y {requant = #dataflow.requant<multiplier = 1, shift = 1>} : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %a, %f#1 : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
}

// -----
// Not folded: the conv's own activation would run after the skip add.
// CHECK-LABEL: func.func @no_fold_conv_with_activation
// CHECK:         dataflow.conv %x {{.*}}activation = #dataflow.act<kind = "relu">
// CHECK-NEXT:    dataflow.add
func.func @no_fold_conv_with_activation(%x: !dataflow.stream<8x8x4xf32>, %y: !dataflow.stream<8x8x4xf32>) -> !dataflow.stream<8x8x4xf32> {
  %c0 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = f32, activation = #dataflow.act<kind = "relu">} : (!dataflow.stream<8x8x4xf32>) -> !dataflow.stream<8x8x4xf32>
  %a = dataflow.add %c0, %y : !dataflow.stream<8x8x4xf32>, !dataflow.stream<8x8x4xf32> -> !dataflow.stream<8x8x4xf32>
  func.return %a : !dataflow.stream<8x8x4xf32>
}

// -----
// Not folded: an integer add without requant into i16 cannot be a conv epilogue
// (a conv without a final requant emits its 32-bit accumulator).
// CHECK-LABEL: func.func @no_fold_narrow_raw_add
// CHECK:         dataflow.add {{.*}} -> !dataflow.stream<8x8x4xi16>
func.func @no_fold_narrow_raw_add(%x: !dataflow.stream<8x8x4xi8>, %y: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi16> {
  %c0 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %a = dataflow.add %c0, %y : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi16>
  func.return %a : !dataflow.stream<8x8x4xi16>
}

// -----
// A 1x1 stride-2 downsample reading the same fork as a 3x3 stride-2 'same' conv
// becomes that conv's side result, with its own weights, bias and requant; the
// fork is left with one reader and disappears.
// CHECK-LABEL: func.func @downsample_into_side
// CHECK-NEXT:    %[[C0:.*]], %[[SIDE:.*]] = dataflow.conv %x {{{.*}}coarse_out = 2 : i64, layer = "conv0", side_weights = "d.w", side_bias = "d.b", side_requant = #dataflow.requant<multiplier = 3, shift = 7, {{.*}}>} : (!dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8>)
// CHECK-NEXT:    func.return %[[C0]], %[[SIDE]]
func.func @downsample_into_side(%x: !dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8>) {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, coarse_out = 2 : i64, layer = "conv0"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8>
  %d = dataflow.conv %f#1 {kernel = array<i64: 1, 1>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, weights = "d.w", bias = "d.b", weight_type = i8, requant = #dataflow.requant<multiplier = 3, shift = 7>, coarse_out = 8 : i64, layer = "down"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8>
  func.return %c0, %d : !dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8>
}

// -----
// A three-way fork keeps its other readers; the buffer in front of the 1x1 goes with it.
// CHECK-LABEL: func.func @downsample_three_way_fork
// CHECK-NEXT:    %[[F0:.*]], %[[F1:.*]] = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
// CHECK-NEXT:    %[[C0:.*]], %[[SIDE:.*]] = dataflow.conv %[[F0]] {{{.*}}side_weights = "d.w"} : (!dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<8x8x8xi8>, !dataflow.stream<8x8x8xi32>)
// CHECK-NEXT:    func.return %[[F1]], %[[C0]], %[[SIDE]]
func.func @downsample_three_way_fork(%x: !dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x8xi8>, !dataflow.stream<8x8x8xi32>) {
  %f:3 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %b = dataflow.buffer %f#2 {depth = 16 : i64} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  %d = dataflow.conv %b {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "d.w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi32>
  func.return %f#1, %c0, %d : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x8xi8>, !dataflow.stream<8x8x8xi32>
}

// -----
// Not merged: the 3x3 conv has stride 1 but the 1x1 stride 2.
// CHECK-LABEL: func.func @no_merge_stride_mismatch
// CHECK-NEXT:    dataflow.fork
// CHECK-NEXT:    dataflow.conv {{.*}} -> !dataflow.stream<8x8x8xi8>
// CHECK-NEXT:    dataflow.conv {{.*}}kernel = array<i64: 1, 1>, stride = array<i64: 2, 2>
func.func @no_merge_stride_mismatch(%x: !dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<8x8x8xi8>, !dataflow.stream<4x4x8xi8>) {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  %d = dataflow.conv %f#1 {kernel = array<i64: 1, 1>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, weights = "d.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8>
  func.return %c0, %d : !dataflow.stream<8x8x8xi8>, !dataflow.stream<4x4x8xi8>
}

// -----
// Not merged: without 'same' padding the window centre is not the 1x1's pixel
// (and the output sizes differ).
// CHECK-LABEL: func.func @no_merge_valid_padding
// CHECK-NEXT:    dataflow.fork
// CHECK-NEXT:    dataflow.conv {{.*}}pad = array<i64: 0, 0, 0, 0>{{.*}} -> !dataflow.stream<6x6x8xi8>
// CHECK-NEXT:    dataflow.conv {{.*}}kernel = array<i64: 1, 1>
func.func @no_merge_valid_padding(%x: !dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<6x6x8xi8>, !dataflow.stream<8x8x8xi8>) {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<6x6x8xi8>
  %d = dataflow.conv %f#1 {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "d.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  func.return %c0, %d : !dataflow.stream<6x6x8xi8>, !dataflow.stream<8x8x8xi8>
}

// -----
// Not merged: the host's coarse_out (3) does not divide the 1x1's 8 channels, and
// a 1x1 with its own activation has nowhere to put it.
// CHECK-LABEL: func.func @no_merge_folding_or_activation
// CHECK-NOT:     side_weights
// CHECK:         dataflow.conv {{.*}}weights = "d.w"
// CHECK:         dataflow.conv {{.*}}weights = "e1.w"{{.*}}activation = #dataflow.act<kind = "relu">
func.func @no_merge_folding_or_activation(%x: !dataflow.stream<8x8x4xi8>, %z: !dataflow.stream<8x8x4xf32>) -> (!dataflow.stream<8x8x6xi8>, !dataflow.stream<8x8x8xi8>, !dataflow.stream<8x8x4xf32>, !dataflow.stream<8x8x4xf32>) {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, coarse_out = 3 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x6xi8>
  %d = dataflow.conv %f#1 {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "d.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  %g:2 = dataflow.fork %z : !dataflow.stream<8x8x4xf32> -> !dataflow.stream<8x8x4xf32>, !dataflow.stream<8x8x4xf32>
  %e0 = dataflow.conv %g#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "e0.w", weight_type = f32} : (!dataflow.stream<8x8x4xf32>) -> !dataflow.stream<8x8x4xf32>
  %e1 = dataflow.conv %g#1 {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "e1.w", weight_type = f32, activation = #dataflow.act<kind = "relu">} : (!dataflow.stream<8x8x4xf32>) -> !dataflow.stream<8x8x4xf32>
  func.return %c0, %d, %e0, %e1 : !dataflow.stream<8x8x6xi8>, !dataflow.stream<8x8x8xi8>, !dataflow.stream<8x8x4xf32>, !dataflow.stream<8x8x4xf32>
}

// -----
// Not merged: a host folded with flattened passes (terms) or temporal reuse cannot take a side
// conv (`ConvOp.side_conv_error`); select-folding runs first in the default pipeline and may
// pick either.
// CHECK-LABEL: func.func @no_merge_into_terms_or_reuse
// CHECK-NOT:     side_weights
// CHECK:         dataflow.conv {{.*}}weights = "c0.w"{{.*}}terms = 5
// CHECK:         dataflow.conv {{.*}}weights = "d.w"
// CHECK:         dataflow.conv {{.*}}weights = "e0.w"{{.*}}reuse = 2
// CHECK:         dataflow.conv {{.*}}weights = "e1.w"
func.func @no_merge_into_terms_or_reuse(%x: !dataflow.stream<8x8x4xi8>, %z: !dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<8x8x8xi8>, !dataflow.stream<8x8x8xi8>, !dataflow.stream<8x8x8xi8>, !dataflow.stream<8x8x8xi8>) {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, coarse_in = 4 : i64, terms = 5 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  %d = dataflow.conv %f#1 {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "d.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  %g:2 = dataflow.fork %z : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %e0 = dataflow.conv %g#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "e0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, reuse = 2 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  %e1 = dataflow.conv %g#1 {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "e1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  func.return %c0, %d, %e0, %e1 : !dataflow.stream<8x8x8xi8>, !dataflow.stream<8x8x8xi8>, !dataflow.stream<8x8x8xi8>, !dataflow.stream<8x8x8xi8>
}

// -----
// A whole downsample block: requantise and ReLU fused into conv0, the 1x1 merged
// into conv0's side, the add folded into conv1 with the side as its skip, and the
// final ReLU (after the add) tightening skip_requant's lower bound to 0.
// CHECK-LABEL: func.func @downsample_block
// CHECK-NEXT:    %[[C0:.*]], %[[SIDE:.*]] = dataflow.conv %x {{{.*}}layer = "conv0", requant = #dataflow.requant<multiplier = 1, shift = 6, zero_point = 0, min = 0, max = 127, rounding = "half_even">, side_weights = "d.w", side_bias = "d.b", side_requant = #dataflow.requant<multiplier = 3, shift = 6,{{.*}}>} : (!dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8>)
// CHECK-NEXT:    %[[Y:.*]] = dataflow.conv %[[C0]], %[[SIDE]] {{{.*}}layer = "conv1", acc_mult = 2 : i64, skip_requant = #dataflow.requant<multiplier = 1, shift = 1, zero_point = 0, min = 0, max = 127, rounding = "half_even">} : (!dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8>
// CHECK-NEXT:    func.return %[[Y]]
func.func @downsample_block(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, layer = "conv0"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi32>
  %r0 = dataflow.requantize %c0 {requant = #dataflow.requant<multiplier = 1, shift = 6>} : !dataflow.stream<4x4x8xi32> -> !dataflow.stream<4x4x8xi8>
  %a0 = dataflow.activation %r0 {activation = #dataflow.act<kind = "relu">} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<4x4x8xi8>
  %c1 = dataflow.conv %a0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "conv1"} : (!dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8>
  %d = dataflow.conv %f#1 {kernel = array<i64: 1, 1>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, weights = "d.w", bias = "d.b", weight_type = i8, requant = #dataflow.requant<multiplier = 3, shift = 6>, layer = "down"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8>
  %a = dataflow.add %d, %c1 {rhs_mult = 2 : i64, requant = #dataflow.requant<multiplier = 1, shift = 1>} : !dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8> -> !dataflow.stream<4x4x8xi8>
  %y = dataflow.activation %a {activation = #dataflow.act<kind = "relu">} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<4x4x8xi8>
  func.return %y : !dataflow.stream<4x4x8xi8>
}

// -----
// Activations with a final requant become its saturation bounds: relu raises min
// to 0, an integral clip intersects [min, max] with [lo, hi].
// CHECK-LABEL: func.func @activation_into_bounds
// CHECK-NEXT:    %[[C:.*]] = dataflow.conv %x {{{.*}}requant = #dataflow.requant<multiplier = 1, shift = 6, zero_point = 3, min = 0, max = 127, rounding = "half_even">}
// CHECK-NEXT:    %[[L:.*]] = dataflow.linear %v {{{.*}}requant = #dataflow.requant<multiplier = 1, shift = 6, zero_point = 0, min = -20, max = 6, rounding = "half_even">}
// CHECK-NEXT:    func.return %[[C]], %[[L]]
func.func @activation_into_bounds(%x: !dataflow.stream<8x8x4xi8>, %v: !dataflow.stream<1x1x16xi8>) -> (!dataflow.stream<8x8x4xi8>, !dataflow.stream<1x1x10xi8>) {
  %c0 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, zero_point = 3>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %a0 = dataflow.activation %c0 {activation = #dataflow.act<kind = "relu">} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  %l = dataflow.linear %v {weights = "fc.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = -100>} : !dataflow.stream<1x1x16xi8> -> !dataflow.stream<1x1x10xi8>
  %a1 = dataflow.activation %l {activation = #dataflow.act<kind = "clip", lo = -20.0, hi = 6.0>} : !dataflow.stream<1x1x10xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %a0, %a1 : !dataflow.stream<8x8x4xi8>, !dataflow.stream<1x1x10xi8>
}

// -----
// Without a final requant (floats, a raw i32 accumulator) the activation becomes
// the producer's `activation`; a max pool has neither, so the op stays.
// CHECK-LABEL: func.func @activation_into_epilogue
// CHECK:         %[[C0:.*]] = dataflow.conv %x {{{.*}}weight_type = f32, activation = #dataflow.act<kind = "leaky_relu", alpha = 0.125>}
// CHECK-NEXT:    %[[C1:.*]] = dataflow.conv %{{.*}} {{{.*}}activation = #dataflow.act<kind = "relu">} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
// CHECK-NEXT:    %[[P:.*]] = dataflow.pool
// CHECK-NEXT:    %[[A:.*]] = dataflow.activation %[[P]]
// CHECK-NEXT:    func.return %[[C0]], %[[C1]], %[[A]]
func.func @activation_into_epilogue(%x: !dataflow.stream<8x8x4xf32>, %y: !dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<8x8x4xf32>, !dataflow.stream<8x8x4xi32>, !dataflow.stream<4x4x4xi8>) {
  %f:2 = dataflow.fork %y : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = f32} : (!dataflow.stream<8x8x4xf32>) -> !dataflow.stream<8x8x4xf32>
  %a0 = dataflow.activation %c0 {activation = #dataflow.act<kind = "leaky_relu", alpha = 0.125>} : !dataflow.stream<8x8x4xf32> -> !dataflow.stream<8x8x4xf32>
  %c1 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  %a1 = dataflow.activation %c1 {activation = #dataflow.act<kind = "relu">} : !dataflow.stream<8x8x4xi32> -> !dataflow.stream<8x8x4xi32>
  %p = dataflow.pool %f#1 {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<4x4x4xi8>
  %a2 = dataflow.activation %p {activation = #dataflow.act<kind = "relu">} : !dataflow.stream<4x4x4xi8> -> !dataflow.stream<4x4x4xi8>
  func.return %a0, %a1, %a2 : !dataflow.stream<8x8x4xf32>, !dataflow.stream<8x8x4xi32>, !dataflow.stream<4x4x4xi8>
}

// -----
// A requantise after an accumulator becomes the producer's requant; a ReLU the
// producer applied before it is absorbed exactly as min = max(min, zero_point),
// a clip as the requantised bounds.
// CHECK-LABEL: func.func @requantize_into_producer
// CHECK-NEXT:    %[[C:.*]] = dataflow.conv %x {{{.*}}weight_type = i8, requant = #dataflow.requant<multiplier = 3, shift = 8, zero_point = -5, min = -5, max = 127, rounding = "half_even">} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
// CHECK-NEXT:    %[[L:.*]] = dataflow.linear %v {{{.*}}requant = #dataflow.requant<multiplier = 1, shift = 4, zero_point = 0, min = -62, max = 125, rounding = "half_up">} : !dataflow.stream<1x1x16xi8> -> !dataflow.stream<1x1x10xi8>
// CHECK-NEXT:    func.return %[[C]], %[[L]]
func.func @requantize_into_producer(%x: !dataflow.stream<8x8x4xi8>, %v: !dataflow.stream<1x1x16xi8>) -> (!dataflow.stream<8x8x4xi8>, !dataflow.stream<1x1x10xi8>) {
  %c0 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, activation = #dataflow.act<kind = "relu">} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  %r0 = dataflow.requantize %c0 {requant = #dataflow.requant<multiplier = 3, shift = 8, zero_point = -5>} : !dataflow.stream<8x8x4xi32> -> !dataflow.stream<8x8x4xi8>
  %l = dataflow.linear %v {weights = "fc.w", weight_type = i8, activation = #dataflow.act<kind = "clip", lo = -1000.0, hi = 2000.0>} : !dataflow.stream<1x1x16xi8> -> !dataflow.stream<1x1x10xi32>
  %r1 = dataflow.requantize %l {requant = #dataflow.requant<multiplier = 1, shift = 4, rounding = "half_up">} : !dataflow.stream<1x1x10xi32> -> !dataflow.stream<1x1x10xi8>
  func.return %r0, %r1 : !dataflow.stream<8x8x4xi8>, !dataflow.stream<1x1x10xi8>
}

// -----
// Not fused: the accumulator has a second reader; a max pool does not rescale;
// a producer that already has a requant keeps the second rescale separate.
// CHECK-LABEL: func.func @no_requantize_fusion
// CHECK-COUNT-4: dataflow.requantize
func.func @no_requantize_fusion(%x: !dataflow.stream<8x8x4xi8>, %w: !dataflow.stream<8x8x4xi16>) -> (!dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi32>, !dataflow.stream<4x4x4xi8>, !dataflow.stream<8x8x4xi8>) {
  %c0 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  %f:2 = dataflow.fork %c0 : !dataflow.stream<8x8x4xi32> -> !dataflow.stream<8x8x4xi32>, !dataflow.stream<8x8x4xi32>
  %r0 = dataflow.requantize %f#0 {requant = #dataflow.requant<multiplier = 1, shift = 6>} : !dataflow.stream<8x8x4xi32> -> !dataflow.stream<8x8x4xi8>
  %p = dataflow.pool %w {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>} : !dataflow.stream<8x8x4xi16> -> !dataflow.stream<4x4x4xi16>
  %r1 = dataflow.requantize %p {requant = #dataflow.requant<multiplier = 1, shift = 2>} : !dataflow.stream<4x4x4xi16> -> !dataflow.stream<4x4x4xi8>
  %q = dataflow.requantize %w {requant = #dataflow.requant<multiplier = 1, shift = 0, min = -30000, max = 30000>} : !dataflow.stream<8x8x4xi16> -> !dataflow.stream<8x8x4xi16>
  %r2 = dataflow.requantize %q {requant = #dataflow.requant<multiplier = 1, shift = 8>} : !dataflow.stream<8x8x4xi16> -> !dataflow.stream<8x8x4xi8>
  func.return %r0, %f#1, %r1, %r2 : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi32>, !dataflow.stream<4x4x4xi8>, !dataflow.stream<8x8x4xi8>
}

// -----
// Options switch each rewrite off: with everything off the IR is unchanged.
// CHECK-LABEL: func.func @options_off
// CHECK-NEXT:    dataflow.fork
// CHECK-NEXT:    dataflow.conv %{{.*}}, %{{.*}} {{{.*}}min = 0, max = 127{{.*}}skip_requant
// CHECK-NEXT:    func.return
// OFF-LABEL:     func.func @options_off
// OFF-NEXT:        dataflow.fork
// OFF-NEXT:        dataflow.conv
// OFF-NEXT:        dataflow.activation
// OFF-NEXT:        dataflow.add
func.func @options_off(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %a0 = dataflow.activation %c0 {activation = #dataflow.act<kind = "relu">} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  %a = dataflow.add %a0, %f#1 {requant = #dataflow.requant<multiplier = 1, shift = 1>} : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %a : !dataflow.stream<8x8x4xi8>
}

// -----
// keep-fit: on a design that targets a board (here board=kv260; after
// select-folding the module's dataflow.board), a merge that costs more than the
// ops it replaces is only made within max-util.  Folding this add would run it on
// the conv's 4 coarse_out lanes instead of the add's 1: at max-util=0.009 (the FIT run; 1054 LUT,
// while the merged design needs 1072) it is refused, while the ReLU (which only saves) is still fused.  Without a board
// (CHECK) the add is folded.
// CHECK-LABEL: func.func @keep_fit
// CHECK-NOT:     dataflow.add
// FIT-LABEL:   func.func @keep_fit
// FIT-NEXT:      dataflow.fork
// FIT-NEXT:      %[[C:.*]] = dataflow.conv {{.*}}requant = #dataflow.requant<multiplier = 1, shift = 6, zero_point = 0, min = 0, max = 127
// FIT-NEXT:      dataflow.add %[[C]],
func.func @keep_fit(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, coarse_out = 4 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %a0 = dataflow.activation %c0 {activation = #dataflow.act<kind = "relu">} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  %a = dataflow.add %a0, %f#1 {requant = #dataflow.requant<multiplier = 1, shift = 1>} : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %a : !dataflow.stream<8x8x4xi8>
}

// -----
// reuse=4 sets temporal reuse on every conv whose output width 4 divides (8 here,
// not 6).
// REUSE-LABEL: func.func @temporal_reuse
// REUSE-NEXT:    dataflow.conv %x {{.*}}reuse = 4 : i64} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
// REUSE-NEXT:    dataflow.conv %y {{.*}}weights = "c1.w", weight_type = i8} : (!dataflow.stream<8x6x4xi8>) -> !dataflow.stream<8x6x4xi32>
func.func @temporal_reuse(%x: !dataflow.stream<8x8x4xi8>, %y: !dataflow.stream<8x6x4xi8>) -> (!dataflow.stream<8x8x4xi32>, !dataflow.stream<8x6x4xi32>) {
  %c0 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi32>
  %c1 = dataflow.conv %y {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8} : (!dataflow.stream<8x6x4xi8>) -> !dataflow.stream<8x6x4xi32>
  func.return %c0, %c1 : !dataflow.stream<8x8x4xi32>, !dataflow.stream<8x6x4xi32>
}
