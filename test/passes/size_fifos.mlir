// RUN: fpga-opt %s --split-input-file -p size-fifos | filecheck %s
// RUN: fpga-opt %s --split-input-file -p size-fifos | fpga-opt --split-input-file -p size-fifos | filecheck %s
// RUN: fpga-opt %s --split-input-file -p 'size-fifos{power-of-two=true margin=1}' | filecheck %s --check-prefix=ROUND
// RUN: fpga-opt %s --split-input-file -p 'size-fifos{windows=false}' | filecheck %s --check-prefix=NOWIN
// RUN: fpga-opt %s --split-input-file -p 'size-fifos{shrink=always}' | filecheck %s --check-prefix=SHRINK

// size-fifos simulates the design (fpga-sim's timing, no weights) with unbounded FIFOs, then again with
// each input offered at that decoupled rate, and gives every FIFO whose highest level exceeds the default
// 2 words that level (docs/passes/folding.md, "FIFO sizing").  The second RUN line shows that sizing a
// sized design changes nothing.

// A folded linear after a conv.  conv: a 1x1 conv, 8 -> 8 channels, coarse_out = 8: 128 cycles per frame
// (16 pixels x 8 x 8 MACs / 8 lanes), one element per cycle on average, in words of 8.  fc: FINN's MVAU
// with SIMD 8 and PE 1: (16 / 1) x (128 / 8) = 256 cycles, the interval.  It reads its whole 128-element
// input during the first 16 cycles (its first output fold) and then computes the other 15 outputs for
// 240 cycles without reading.
//   * With the default 2-word stream (16 elements) the conv stalls while fc computes, so fc's next read
//     phase waits for the conv: 240 + (128 - 16) / 1 = 352 cycles per frame (fpga-sim).
//   * At the interval, the input and so the conv deliver 128 / 256 = 0.5 elements per cycle.  While fc
//     computes for 240 cycles, 240 x 0.5 = 120 elements arrive and wait; fc then reads at 8 per cycle and
//     empties the FIFO just as the frame's last element arrives.  Highest level: 120 elements = 15 words
//     of 8, the buffer's depth.  fpga-sim then gives 256 cycles per frame, the model's interval.
// CHECK-LABEL: func.func @conv_then_linear
// CHECK-NEXT:    %[[C:.*]] = dataflow.conv %x {{{.*}}layer = "conv"}
// CHECK-NEXT:    %[[B:.*]] = dataflow.buffer %[[C]] {depth = 120 : i64, layer = "fc.fifo"}
// CHECK-NEXT:    %[[Y:.*]] = dataflow.linear %[[B]]
// CHECK-NEXT:    func.return %[[Y]]
// power-of-two rounds 15 + 1 (margin) words up to 16 words of 8:
// ROUND-LABEL: func.func @conv_then_linear
// ROUND:         dataflow.buffer %{{.*}} {depth = 128 : i64, layer = "fc.fifo"}
func.func @conv_then_linear(%x: !dataflow.stream<4x4x8xi8>) -> !dataflow.stream<1x1x16xi8> {
  %c = dataflow.conv %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_out = 8 : i64, layer = "conv"} : (!dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8>
  %y = dataflow.linear %c {weights = "fc.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_in = 8 : i64, layer = "fc"} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<1x1x16xi8>
  func.return %y : !dataflow.stream<1x1x16xi8>
}

// -----

// Nothing to do: two equal 1x1 convs move their stream at one constant rate, so no FIFO holds more
// than a word or two; no buffer is inserted and no window stream deepened.
// CHECK-LABEL: func.func @balanced_chain
// CHECK-NEXT:    %[[A:.*]] = dataflow.conv %x {{{.*}}layer = "a"}
// CHECK-NEXT:    %[[B:.*]] = dataflow.conv %[[A]] {{{.*}}layer = "b"}
// CHECK-NEXT:    func.return %[[B]]
// CHECK-NOT:     window_depth
func.func @balanced_chain(%x: !dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8> {
  %a = dataflow.conv %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "a.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_out = 8 : i64, layer = "a"} : (!dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8>
  %b = dataflow.conv %a {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "b.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_out = 8 : i64, layer = "b"} : (!dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8>
  func.return %b : !dataflow.stream<4x4x8xi8>
}

// -----

// A window stream: a 3x3 stride-2 conv whose compute unit is exactly as fast as its input (64 cycles:
// 8x8 pixels x 4 channels / 4 lanes, and 16 windows x 4 x 8 x 9 MACs / (4 x 2 x 9) multipliers) gets
// windows only on every other padded row, so with the default 2-window stream its compute unit idles
// through the rows without windows and the layer takes 77 cycles per frame.  Fed at 64 cycles per frame,
// its window stream holds up to 10 windows: size-fifos sets window_depth (docs/dialects/dataflow.md), and
// fpga-sim gives 64 cycles.  Nothing waits in front of the sliding window: the input is a port.
// CHECK-LABEL: func.func @stride_two
// CHECK-NEXT:    dataflow.conv %x {{{.*}}layer = "down", window_depth = 10 : i64}
// NOWIN-LABEL: func.func @stride_two
// NOWIN-NOT:     window_depth
func.func @stride_two(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8> {
  %y = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_in = 4 : i64, coarse_out = 2 : i64, fine = 9 : i64, layer = "down"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<4x4x8xi8>
  func.return %y : !dataflow.stream<4x4x8xi8>
}

// -----

// An existing buffer is never made smaller (a skip FIFO keeps minimize-residual-buffers' safe depth):
// a 200-element buffer where 120 suffice stays at 200, and a 40-element one grows to 120.
// CHECK-LABEL: func.func @existing_buffers
// CHECK:         dataflow.buffer %{{.*}} {depth = 200 : i64, layer = "deep"}
// CHECK:         dataflow.buffer %{{.*}} {depth = 120 : i64, layer = "shallow"}
func.func @existing_buffers(%x: !dataflow.stream<4x4x8xi8>) -> (!dataflow.stream<1x1x16xi8>, !dataflow.stream<1x1x16xi8>) {
  %c = dataflow.conv %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_out = 8 : i64, layer = "conv"} : (!dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8>
  %b = dataflow.buffer %c {depth = 200 : i64, layer = "deep"} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<4x4x8xi8>
  %y = dataflow.linear %b {weights = "fc.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_in = 8 : i64, layer = "fc"} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<1x1x16xi8>
  %c2 = dataflow.conv %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_out = 8 : i64, layer = "conv2"} : (!dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8>
  %b2 = dataflow.buffer %c2 {depth = 40 : i64, layer = "shallow"} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<4x4x8xi8>
  %y2 = dataflow.linear %b2 {weights = "fc.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_in = 8 : i64, layer = "fc2"} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<1x1x16xi8>
  func.return %y, %y2 : !dataflow.stream<1x1x16xi8>, !dataflow.stream<1x1x16xi8>
}

// -----

// Sized for inputs at the steady rate, a FIFO can be more than the design needs: here the conv is as
// fast as fc reads (coarse_in = coarse_out = 8: 16 cycles a frame, 8 elements a cycle), so with the
// inputs ready at once (fpga-sim's ports) it refills fc's input as fast as fc drains it and 2 words
// are enough; at the steady rate, 120 elements still wait while fc computes.  shrink=always sets every
// deepened FIFO back where the design keeps its rate without it (one simulation per group tried).
// CHECK-LABEL: func.func @fast_conv_then_linear
// CHECK:         dataflow.buffer %{{.*}} {depth = 120 : i64, layer = "fc.fifo"}
// SHRINK-LABEL: func.func @fast_conv_then_linear
// SHRINK-NOT:    dataflow.buffer
// SHRINK:        func.return
func.func @fast_conv_then_linear(%x: !dataflow.stream<4x4x8xi8>) -> !dataflow.stream<1x1x16xi8> {
  %c = dataflow.conv %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_in = 8 : i64, coarse_out = 8 : i64, layer = "conv"} : (!dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x8xi8>
  %y = dataflow.linear %c {weights = "fc.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, coarse_in = 8 : i64, layer = "fc"} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<1x1x16xi8>
  func.return %y : !dataflow.stream<1x1x16xi8>
}
