// One chunk per early-exit verifier check.
// RUN: fpga-opt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @scale_on_float_logits(%l: !dataflow.stream<1x1x4xf32>) -> !dataflow.stream<1x1x1xi1> {
  %d = dataflow.exit_decision %l {threshold = 0.9 : f64, scale = 0.5 : f64} : !dataflow.stream<1x1x4xf32> -> !dataflow.stream<1x1x1xi1>
  func.return %d : !dataflow.stream<1x1x1xi1>
}
// CHECK: error: {{.*}}'dataflow.exit_decision' op: 'scale' applies to integer logits only, got f32

// -----
func.func @zero_scale(%l: !dataflow.stream<1x1x4xi8>) -> !dataflow.stream<1x1x1xi1> {
  %d = dataflow.exit_decision %l {threshold = 0.9 : f64, scale = 0.0 : f64, layer = "exit0.decision"} : !dataflow.stream<1x1x4xi8> -> !dataflow.stream<1x1x1xi1>
  func.return %d : !dataflow.stream<1x1x1xi1>
}
// CHECK: error: {{.*}}'dataflow.exit_decision' op "exit0.decision": scale must be positive and finite, got 0.0

// -----
func.func @missing_scale(%l: !dataflow.stream<1x1x4xi8>) -> !dataflow.stream<1x1x1xi1> {
  %d = dataflow.exit_decision %l {threshold = 0.9 : f64} : !dataflow.stream<1x1x4xi8> -> !dataflow.stream<1x1x1xi1>
  func.return %d : !dataflow.stream<1x1x1xi1>
}
// CHECK: error: {{.*}}'dataflow.exit_decision' op: integer logits need 'scale' to compare against a probability

// -----
func.func @zero_threshold(%l: !dataflow.stream<1x1x4xf32>) -> !dataflow.stream<1x1x1xi1> {
  %d = dataflow.exit_decision %l {threshold = 0.0 : f64} : !dataflow.stream<1x1x4xf32> -> !dataflow.stream<1x1x1xi1>
  func.return %d : !dataflow.stream<1x1x1xi1>
}
// CHECK: error: {{.*}}'dataflow.exit_decision' op: threshold must be in (0, 1], got 0.0

// -----
func.func @logits_not_a_vector(%l: !dataflow.stream<2x2x4xf32>) -> !dataflow.stream<1x1x1xi1> {
  %d = dataflow.exit_decision %l {threshold = 0.9 : f64} : !dataflow.stream<2x2x4xf32> -> !dataflow.stream<1x1x1xi1>
  func.return %d : !dataflow.stream<1x1x1xi1>
}
// CHECK: error: {{.*}}'dataflow.exit_decision' op: logits must be 1x1xN, got 2x2x4

// -----
func.func @decision_not_i1(%x: !dataflow.stream<4x4x2xi8>, %d: !dataflow.stream<1x1x1xi8>) -> !dataflow.stream<4x4x2xi8> {
  %k = dataflow.conditional_buffer %x, %d {depth = 32 : i64} : !dataflow.stream<4x4x2xi8>, !dataflow.stream<1x1x1xi8> -> !dataflow.stream<4x4x2xi8>
  func.return %k : !dataflow.stream<4x4x2xi8>
}
// CHECK: error: {{.*}}'dataflow.conditional_buffer' op: decision must be !dataflow.stream<1x1x1xi1>, got !dataflow.stream<1x1x1xi8>

// -----
func.func @zero_depth(%x: !dataflow.stream<4x4x2xi8>, %d: !dataflow.stream<1x1x1xi1>) -> !dataflow.stream<4x4x2xi8> {
  %k = dataflow.conditional_buffer %x, %d {depth = 0 : i64} : !dataflow.stream<4x4x2xi8>, !dataflow.stream<1x1x1xi1> -> !dataflow.stream<4x4x2xi8>
  func.return %k : !dataflow.stream<4x4x2xi8>
}
// CHECK: error: {{.*}}'dataflow.conditional_buffer' op: depth must be >= 1, got 0

// -----
func.func @merge_even_operands(%a: !dataflow.stream<1x1x3xi8>, %d: !dataflow.stream<1x1x1xi1>) -> !dataflow.stream<1x1x3xi8> {
  %r, %w = dataflow.exit_merge %a, %d : (!dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x1xi1>) -> (!dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x1xi8>)
  func.return %r : !dataflow.stream<1x1x3xi8>
}
// CHECK: error: {{.*}}'dataflow.exit_merge' op: operands are (result, decision) per early exit then the final result; got 2

// -----
func.func @merge_result_types_differ(%a: !dataflow.stream<1x1x3xi8>, %d: !dataflow.stream<1x1x1xi1>, %b: !dataflow.stream<1x1x3xi32>) -> !dataflow.stream<1x1x3xi32> {
  %r, %w = dataflow.exit_merge %a, %d, %b : (!dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x1xi1>, !dataflow.stream<1x1x3xi32>) -> (!dataflow.stream<1x1x3xi32>, !dataflow.stream<1x1x1xi8>)
  func.return %r : !dataflow.stream<1x1x3xi32>
}
// CHECK: error: {{.*}}'dataflow.exit_merge' op: exit result 0 has type !dataflow.stream<1x1x3xi8>, the merged result !dataflow.stream<1x1x3xi32>

// -----
func.func @merge_decision_not_i1(%a: !dataflow.stream<1x1x3xi8>, %d: !dataflow.stream<1x1x3xi8>, %b: !dataflow.stream<1x1x3xi8>) -> !dataflow.stream<1x1x3xi8> {
  %r, %w = dataflow.exit_merge %a, %d, %b : (!dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x3xi8>) -> (!dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x1xi8>)
  func.return %r : !dataflow.stream<1x1x3xi8>
}
// CHECK: error: {{.*}}'dataflow.exit_merge' op: operand 1 must be a decision stream 1x1x1xi1, got !dataflow.stream<1x1x3xi8>

// -----
func.func @merge_index_too_narrow(%a: !dataflow.stream<1x1x3xi8>, %d: !dataflow.stream<1x1x1xi1>, %b: !dataflow.stream<1x1x3xi8>) -> !dataflow.stream<1x1x3xi8> {
  %r, %w = dataflow.exit_merge %a, %d, %b : (!dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x1xi1>, !dataflow.stream<1x1x3xi8>) -> (!dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x1xi1>)
  func.return %r : !dataflow.stream<1x1x3xi8>
}
// CHECK: error: {{.*}}'dataflow.exit_merge' op: exit_index type i1 cannot hold exit 1
