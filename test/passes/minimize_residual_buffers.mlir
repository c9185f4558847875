// RUN: fpga-opt %s --split-input-file -p minimize-residual-buffers | filecheck %s
// RUN: fpga-opt %s --split-input-file --pass-pipeline='builtin.module(minimize-residual-buffers)' | filecheck %s
// RUN: fpga-opt %s --split-input-file -p 'minimize-residual-buffers{forward-centre=false margin=0}' | filecheck %s --check-prefix=NOFWD

// Each case shows the input; the CHECK lines give the IR after the pass.  Depths
// are in elements (docs/passes/resnet.md derives them); all convs are unfolded
// unless a case says otherwise, so the network interval is 9216 cycles.
// An identity block as the frontend writes it: fork, two 3x3 convs, add, no FIFO.
// conv0 forwards its window centre as the skip (the fork goes) and a FIFO is put
// before the add.  Depth, in elements of the 8x8x4 skip stream:
//   * occupancy: conv1's output pixel p needs conv0's pixels up to p + W + 1
//     (one row and one pixel further), and conv0 emits side pixel q with its
//     output q, so W + 2 = 10 skip pixels wait at the add: 40 elements;
//   * slack: conv1 takes 153 cycles from its last window pixel to its output
//     (one pixel is C_in*C_out*9 = 144 MAC cycles, then the multiplier and I/O
//     pipeline) while the skip stream moves 256 elements per 9216-cycle frame:
//     ceil(153*256/9216) = 5;
//   * margin: one skip pixel, 4.
// 40 + 5 + 4 = 49, against 256 for the whole tensor.
// CHECK-LABEL: func.func @identity_block
// CHECK-NEXT:    %[[C0:.*]], %[[CENTRE:.*]] = dataflow.conv %x {{{.*}}layer = "conv0"} : (!dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>)
// CHECK-NEXT:    %[[C1:.*]] = dataflow.conv %[[C0]]
// CHECK-NEXT:    %[[SKIP:.*]] = dataflow.buffer %[[CENTRE]] {depth = 49 : i64, layer = "add.skip"}
// CHECK-NEXT:    %[[A:.*]] = dataflow.add %[[C1]], %[[SKIP]]
// CHECK-NEXT:    func.return %[[A]]
// NOFWD-LABEL: func.func @identity_block
// NOFWD:         %[[F:.*]], %[[S:.*]] = dataflow.fork %x
// NOFWD:         dataflow.buffer %[[S]] {depth = 85 : i64, layer = "add.skip"}
func.func @identity_block(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "conv0"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %c1 = dataflow.conv %c0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "conv1"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %a = dataflow.add %c1, %f#1 {rhs_mult = 2 : i64, requant = #dataflow.requant<multiplier = 1, shift = 1, min = 0>, layer = "add"} : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %a : !dataflow.stream<8x8x4xi8>
}

// -----
// A skip path that already has FIFOs (here two, of the whole tensor): they become
// one FIFO of the computed depth; the skip is the add's lhs this time.
// CHECK-LABEL: func.func @resize_existing_buffers
// CHECK-NEXT:    %[[C0:.*]], %[[CENTRE:.*]] = dataflow.conv %x
// CHECK-NEXT:    %[[C1:.*]] = dataflow.conv %[[C0]]
// CHECK-NEXT:    %[[SKIP:.*]] = dataflow.buffer %[[CENTRE]] {depth = 49 : i64}
// CHECK-NEXT:    dataflow.add %[[SKIP]], %[[C1]]
// NOFWD-LABEL: func.func @resize_existing_buffers
// NOFWD-NEXT:    %[[F:.*]], %[[S:.*]] = dataflow.fork %x
// NOFWD-NEXT:    %[[B:.*]] = dataflow.buffer %[[S]] {depth = 85 : i64, layer = "skip_b"}
// NOFWD-NOT:     dataflow.buffer
// NOFWD:         dataflow.add %[[B]],
func.func @resize_existing_buffers(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %b0 = dataflow.buffer %f#1 {depth = 256 : i64, layer = "skip_a"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  %b1 = dataflow.buffer %b0 {depth = 256 : i64, layer = "skip_b"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %c1 = dataflow.conv %c0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %a = dataflow.add %b1, %c1 {requant = #dataflow.requant<multiplier = 1, shift = 1, min = 0>} : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %a : !dataflow.stream<8x8x4xi8>
}

// -----
// After merge-loops the join is conv1's skip: conv0 forwards its centre pixel,
// and the FIFO goes between conv0's side result and conv1's skip operand.
// CHECK-LABEL: func.func @merged_identity_block
// CHECK-NEXT:    %[[C0:.*]], %[[CENTRE:.*]] = dataflow.conv %x {{{.*}}layer = "conv0"} : (!dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>)
// CHECK-NEXT:    %[[SKIP:.*]] = dataflow.buffer %[[CENTRE]] {depth = 49 : i64, layer = "conv1.skip"}
// CHECK-NEXT:    %[[Y:.*]] = dataflow.conv %[[C0]], %[[SKIP]] {{{.*}}layer = "conv1"}
// CHECK-NEXT:    func.return %[[Y]]
func.func @merged_identity_block(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "conv0"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %y = dataflow.conv %c0, %f#1 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, skip_mult = 2 : i64, skip_requant = #dataflow.requant<multiplier = 1, shift = 1, min = 0>, layer = "conv1"} : (!dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  func.return %y : !dataflow.stream<8x8x4xi8>
}

// -----
// With forward-centre=false (NOFWD) the fork stays and its skip output gets the
// FIFO: it must now cover both convs' windows, 2W + 3 = 19 pixels (DESIGN.md's
// (K-1)*W*C + (K-1)*C + C), 76 elements, plus slack: both convs' latency now
// counts, ceil(307*256/9216) = 9 (margin=0 in that run): 85.
// NOFWD-LABEL: func.func @no_forward_option
// NOFWD-NEXT:    %[[F:.*]], %[[S:.*]] = dataflow.fork %x
// NOFWD-NEXT:    %[[C0:.*]] = dataflow.conv %[[F]]
// NOFWD-NEXT:    %[[B:.*]] = dataflow.buffer %[[S]] {depth = 85 : i64}
// NOFWD-NEXT:    dataflow.conv %[[C0]], %[[B]]
func.func @no_forward_option(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %y = dataflow.conv %c0, %f#1 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, skip_requant = #dataflow.requant<multiplier = 1, shift = 1, min = 0>} : (!dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  func.return %y : !dataflow.stream<8x8x4xi8>
}

// -----
// A merged downsample block: the skip is conv0's side 1x1 conv (stride 2, so no
// centre forward).  conv1 at 4x4 needs conv0's pixels up to one row and one pixel
// ahead: W + 2 = 6 pixels of 8 channels wait, 48 elements (+ slack, margin).
// CHECK-LABEL: func.func @merged_downsample_block
// CHECK-NEXT:    %[[C0:.*]], %[[SIDE:.*]] = dataflow.conv %x
// CHECK-NEXT:    %[[SKIP:.*]] = dataflow.buffer %[[SIDE]] {depth = 65 : i64} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<4x4x8xi8>
// CHECK-NEXT:    dataflow.conv %[[C0]], %[[SKIP]]
func.func @merged_downsample_block(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8> {
  %c0, %side = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, side_weights = "d.w", side_requant = #dataflow.requant<multiplier = 1, shift = 5>} : (!dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8>)
  %y = dataflow.conv %c0, %side {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, skip_requant = #dataflow.requant<multiplier = 1, shift = 1, min = 0>} : (!dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8>
  func.return %y : !dataflow.stream<4x4x8xi8>
}

// -----
// An unmerged downsample block: the FIFO goes after the 1x1 conv, right before the
// add, where the skip stream is a quarter of the fork's.  No forward: conv0 has
// stride 2.
// CHECK-LABEL: func.func @unmerged_downsample_block
// CHECK-NEXT:    dataflow.fork
// CHECK:         %[[D:.*]] = dataflow.conv %{{.*}} {{{.*}}layer = "down"}
// CHECK-NEXT:    %[[SKIP:.*]] = dataflow.buffer %[[D]] {depth = 85 : i64, layer = "add.skip"} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<4x4x8xi8>
// CHECK-NEXT:    dataflow.add %{{.*}}, %[[SKIP]]
func.func @unmerged_downsample_block(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8>
  %c1 = dataflow.conv %c0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8>
  %d = dataflow.conv %f#1 {kernel = array<i64: 1, 1>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, weights = "d.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 5>, layer = "down"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8>
  %a = dataflow.add %c1, %d {requant = #dataflow.requant<multiplier = 1, shift = 1, min = 0>, layer = "add"} : !dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8> -> !dataflow.stream<4x4x8xi8>
  func.return %a : !dataflow.stream<4x4x8xi8>
}

// -----
// No forward when the first conv's window centre is not the skip's pixel (valid
// padding) or when it already has a side result.  In the first block both
// branches have the same 3x3 window, so neither leads and no FIFO is needed; the
// second one's fork output gets the two-conv depth.
// CHECK-LABEL: func.func @no_forward
// CHECK-NEXT:    dataflow.fork %x
// CHECK-NEXT:    dataflow.conv
// CHECK-NEXT:    dataflow.pool
// CHECK-NEXT:    dataflow.add
// CHECK-NEXT:    %[[G:.*]], %[[GS:.*]] = dataflow.fork %z
// CHECK-NEXT:    dataflow.conv %[[G]] {{.*}}side_weights = "s.w"
// CHECK-NEXT:    %[[B:.*]] = dataflow.buffer %[[GS]] {depth = 89 : i64}
// CHECK-NEXT:    dataflow.conv %{{.*}}, %[[B]]
func.func @no_forward(%x: !dataflow.stream<8x8x4xi8>, %z: !dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<6x6x4xi8>, !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x8xi8>) {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<6x6x4xi8>
  %p = dataflow.pool %f#1 {mode = "max", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<6x6x4xi8>
  %a = dataflow.add %c0, %p {requant = #dataflow.requant<multiplier = 1, shift = 1>} : !dataflow.stream<6x6x4xi8>, !dataflow.stream<6x6x4xi8> -> !dataflow.stream<6x6x4xi8>
  %g:2 = dataflow.fork %z : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %e0, %s = dataflow.conv %g#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "e0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, side_weights = "s.w", side_requant = #dataflow.requant<multiplier = 1, shift = 6>} : (!dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x8xi8>)
  %e1 = dataflow.conv %e0, %g#1 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "e1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, skip_requant = #dataflow.requant<multiplier = 1, shift = 1>} : (!dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  func.return %a, %e1, %s : !dataflow.stream<6x6x4xi8>, !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x8xi8>
}

// -----
// The timing term follows the folding: conv1 at coarse_in = 4, coarse_out = 4,
// fine = 9 computes a pixel in one cycle, and the slowest layer (conv0, unfolded)
// sets the rate, so the slack is a single element; the depth is rounded up to
// whole words of conv1's 4 skip lanes.
// CHECK-LABEL: func.func @folded_block
// CHECK:         dataflow.buffer %{{.*}} {depth = 48 : i64}
func.func @folded_block(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c0 = dataflow.conv %f#0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %y = dataflow.conv %c0, %f#1 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, skip_requant = #dataflow.requant<multiplier = 1, shift = 1, min = 0>, coarse_in = 4 : i64, coarse_out = 4 : i64, fine = 9 : i64} : (!dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  func.return %y : !dataflow.stream<8x8x4xi8>
}
