// RUN: fpga-opt %s --split-input-file -p dataflow-canonicalize | filecheck %s
// RUN: fpga-opt %s --split-input-file --pass-pipeline='builtin.module(dataflow-canonicalize)' | filecheck %s

// A zero-depth buffer is a wire.
// CHECK-LABEL: func.func @zero_depth_buffer
// CHECK-NEXT:    func.return %x : !dataflow.stream<4x4x2xi8>
func.func @zero_depth_buffer(%x: !dataflow.stream<4x4x2xi8>) -> !dataflow.stream<4x4x2xi8> {
  %b = dataflow.buffer %x {depth = 0 : i64} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>
  func.return %b : !dataflow.stream<4x4x2xi8>
}

// -----
// Back-to-back buffers become one FIFO of the summed depth, keeping the outer name.
// CHECK-LABEL: func.func @back_to_back_buffers
// CHECK-NEXT:    %{{.*}} = dataflow.buffer %x {depth = 48 : i64, layer = "outer"} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>
// CHECK-NOT:     dataflow.buffer
func.func @back_to_back_buffers(%x: !dataflow.stream<4x4x2xi8>) -> !dataflow.stream<4x4x2xi8> {
  %a = dataflow.buffer %x {depth = 16 : i64} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>
  %b = dataflow.buffer %a {depth = 32 : i64, layer = "outer"} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>
  func.return %b : !dataflow.stream<4x4x2xi8>
}

// -----
// Three buffers in a row collapse to one as well (the rewrite reaches a fixed point).
// CHECK-LABEL: func.func @three_buffers
// CHECK-NEXT:    dataflow.buffer %x {depth = 7 : i64}
// CHECK-NEXT:    func.return
func.func @three_buffers(%x: !dataflow.stream<4x4x2xi8>) -> !dataflow.stream<4x4x2xi8> {
  %a = dataflow.buffer %x {depth = 1 : i64} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>
  %b = dataflow.buffer %a {depth = 2 : i64} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>
  %c = dataflow.buffer %b {depth = 4 : i64} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>
  func.return %c : !dataflow.stream<4x4x2xi8>
}

// -----
// An identity requantise disappears; one that rescales or saturates stays.
// CHECK-LABEL: func.func @identity_requantize
// CHECK-NEXT:    %{{.*}} = dataflow.requantize %x {requant = #dataflow.requant<multiplier = 1, shift = 0, zero_point = 0, min = 0, max = 127, rounding = "half_even">}
// CHECK-NEXT:    func.return
func.func @identity_requantize(%x: !dataflow.stream<4x4x2xi8>) -> !dataflow.stream<4x4x2xi8> {
  %a = dataflow.requantize %x {requant = #dataflow.requant<multiplier = 1, shift = 0>} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>
  %b = dataflow.requantize %a {requant = #dataflow.requant<multiplier = 1, shift = 0, min = 0>} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>
  func.return %b : !dataflow.stream<4x4x2xi8>
}

// -----
// A requantise that narrows the type is not the identity even with multiplier 1, shift 0.
// CHECK-LABEL: func.func @narrowing_requantize
// CHECK-NEXT:    dataflow.requantize
func.func @narrowing_requantize(%x: !dataflow.stream<4x4x2xi32>) -> !dataflow.stream<4x4x2xi8> {
  %a = dataflow.requantize %x {requant = #dataflow.requant<multiplier = 1, shift = 0>} : !dataflow.stream<4x4x2xi32> -> !dataflow.stream<4x4x2xi8>
  func.return %a : !dataflow.stream<4x4x2xi8>
}

// -----
// A fork with one reader left is replaced by its input.
// CHECK-LABEL: func.func @fork_single_reader
// CHECK-NOT:     dataflow.fork
// CHECK:         dataflow.buffer %x {depth = 4 : i64}
func.func @fork_single_reader(%x: !dataflow.stream<4x4x2xi8>) -> !dataflow.stream<4x4x2xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>, !dataflow.stream<4x4x2xi8>
  %b = dataflow.buffer %f#1 {depth = 4 : i64} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>
  func.return %b : !dataflow.stream<4x4x2xi8>
}

// -----
// A 3-way fork with one unused result shrinks to a 2-way fork, keeping its folding.
// CHECK-LABEL: func.func @fork_unused_result
// CHECK-NEXT:    %[[A:.*]], %[[B:.*]] = dataflow.fork %x {coarse = 2 : i64} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>, !dataflow.stream<4x4x2xi8>
// CHECK-NEXT:    %{{.*}} = dataflow.add %[[A]], %[[B]]
func.func @fork_unused_result(%x: !dataflow.stream<4x4x2xi8>) -> !dataflow.stream<4x4x2xi8> {
  %f:3 = dataflow.fork %x {coarse = 2 : i64} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>, !dataflow.stream<4x4x2xi8>, !dataflow.stream<4x4x2xi8>
  %a = dataflow.add %f#0, %f#2 : !dataflow.stream<4x4x2xi8>, !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>
  func.return %a : !dataflow.stream<4x4x2xi8>
}

// -----
// Nothing to do: the IR is unchanged.
// CHECK-LABEL: func.func @already_canonical
// CHECK-NEXT:    dataflow.fork
// CHECK-NEXT:    dataflow.buffer %{{.*}} {depth = 8 : i64}
// CHECK-NEXT:    dataflow.add
func.func @already_canonical(%x: !dataflow.stream<4x4x2xi8>) -> !dataflow.stream<4x4x2xi8> {
  %f:2 = dataflow.fork %x : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>, !dataflow.stream<4x4x2xi8>
  %b = dataflow.buffer %f#1 {depth = 8 : i64} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>
  %a = dataflow.add %f#0, %b : !dataflow.stream<4x4x2xi8>, !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>
  func.return %a : !dataflow.stream<4x4x2xi8>
}
