// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'split-exit-branches{thresholds=0.9}' | filecheck %s --check-prefixes=CHECK,TWO
// RUN: fpga-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(split-exit-branches{thresholds=0.8,0.95})' | filecheck %s --check-prefixes=CHECK,THREE
// Thresholds out of range, and none at all (then the function's dataflow.exit_thresholds are used):
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'split-exit-branches{thresholds=1.5}' | filecheck %s --check-prefix=HIGH
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p 'split-exit-branches{thresholds=0}' | filecheck %s --check-prefix=ZERO
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p split-exit-branches | filecheck %s --check-prefix=NONE
//
// The real case: the committed digits B-LeNet, imported by the frontend.
// RUN: fpga-translate --import-onnx %examples/early_exit/digits_blenet_int8.onnx -o %t.mlir
// RUN: fpga-opt %t.mlir -p 'split-exit-branches{thresholds=0.9}' | filecheck %s --check-prefix=DIGITS

// DIGITS:      func.func @digits_blenet_int8(%input: !dataflow.stream<16x16x1xi8>) -> (!dataflow.stream<1x1x10xi8>, !dataflow.stream<1x1x1xi8>)
// DIGITS-SAME:   dataflow.output_names = ["output", "exit_index"], dataflow.exits = 2 : i64
// DIGITS-SAME:   dataflow.output_scales = [5.000000e-01 : f64, 1.000000e+00 : f64], dataflow.exit_names = ["exit0", "exit1"], dataflow.exit_scales = [5.000000e-01 : f64, 5.000000e-01 : f64], dataflow.exit_thresholds = [9.000000e-01 : f64]
// DIGITS:        %[[P1:.*]] = dataflow.pool {{.*}}layer = "pool1
// DIGITS-NEXT:   %exit0_branch, %exit0_backbone = dataflow.fork %[[P1]] {dataflow.stage = 0 : i64, layer = "exit0.fork"}
// DIGITS-NEXT:   dataflow.conv %exit0_branch {dataflow.stage = 0 : i64
// DIGITS:        %[[L0:.*]] = dataflow.linear {{.*}}layer = "exit0.gemm
// DIGITS-NEXT:   %exit0_to_decision, %exit0_to_merge = dataflow.fork %[[L0]]
// DIGITS-NEXT:   %exit0_decision = dataflow.exit_decision %exit0_to_decision {dataflow.stage = 0 : i64, threshold = 9.000000e-01 : f64, scale = 5.000000e-01 : f64, layer = "exit0.decision"} : !dataflow.stream<1x1x10xi8> -> !dataflow.stream<1x1x1xi1>
// DIGITS-NEXT:   %exit0_decision_to_buffer, %exit0_decision_to_merge = dataflow.fork %exit0_decision
// DIGITS-NEXT:   %exit0_continue = dataflow.conditional_buffer %exit0_backbone, %exit0_decision_to_buffer {dataflow.stage = 0 : i64, depth = 572 : i64, layer = "exit0.buffer"} : !dataflow.stream<8x8x5xi8>, !dataflow.stream<1x1x1xi1> -> !dataflow.stream<8x8x5xi8>
// DIGITS-NEXT:   dataflow.conv %exit0_continue {dataflow.stage = 1 : i64
// DIGITS:        %[[L1:.*]] = dataflow.linear {{.*}}dataflow.stage = 1 : i64{{.*}}layer = "exit1.gemm
// DIGITS-NEXT:   %output, %exit_index = dataflow.exit_merge %exit0_to_merge, %exit0_decision_to_merge, %[[L1]] {dataflow.stage = 0 : i64, layer = "exit_merge"}
// DIGITS-NEXT:   func.return %output, %exit_index : !dataflow.stream<1x1x10xi8>, !dataflow.stream<1x1x1xi8>

// A two-exit network as the frontend writes it: the backbone's fan-out is a fork, the exits are
// the results in exit order.  The frontend's fork is replaced by the exit fork; the backbone goes
// through the conditional buffer; both exits meet in the merge.
// TWO  -LABEL: func.func @two_exits
// TWO  -SAME:    (%x: !dataflow.stream<8x8x2xi8>) -> (!dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x1xi8>)
// TWO  -SAME:    dataflow.output_names = ["output", "exit_index"]
// TWO  -SAME:    dataflow.output_scales = [2.500000e-01 : f64, 1.000000e+00 : f64], dataflow.exit_names = ["early", "final"], dataflow.exit_scales = [2.500000e-01 : f64, 2.500000e-01 : f64], dataflow.exit_thresholds = [9.000000e-01 : f64]
// TWO  -NEXT:    %c0 = dataflow.conv %x {dataflow.stage = 0 : i64
// TWO  -NEXT:    %exit0_branch, %exit0_backbone = dataflow.fork %c0 {dataflow.stage = 0 : i64, layer = "exit0.fork"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
// TWO  -NEXT:    %e0 = dataflow.linear %exit0_branch {dataflow.stage = 0 : i64
// TWO  -NEXT:    %exit0_to_decision, %exit0_to_merge = dataflow.fork %e0 {dataflow.stage = 0 : i64, layer = "exit0.logits_fork"}
// TWO  -NEXT:    %exit0_decision = dataflow.exit_decision %exit0_to_decision {dataflow.stage = 0 : i64, threshold = 9.000000e-01 : f64, scale = 2.500000e-01 : f64, layer = "exit0.decision"}
// TWO  -NEXT:    %exit0_decision_to_buffer, %exit0_decision_to_merge = dataflow.fork %exit0_decision {dataflow.stage = 0 : i64, layer = "exit0.decision_fork"}
// TWO  -NEXT:    %exit0_continue = dataflow.conditional_buffer %exit0_backbone, %exit0_decision_to_buffer {dataflow.stage = 0 : i64, depth = [[DEPTH:[0-9]+]] : i64, layer = "exit0.buffer"}
// TWO  -NEXT:    %c1 = dataflow.conv %exit0_continue {dataflow.stage = 1 : i64
// TWO  -NEXT:    %p1 = dataflow.pool %c1 {dataflow.stage = 1 : i64
// TWO  -NEXT:    %e1 = dataflow.linear %p1 {dataflow.stage = 1 : i64
// TWO  -NEXT:    %output, %exit_index = dataflow.exit_merge %exit0_to_merge, %exit0_decision_to_merge, %e1 {dataflow.stage = 0 : i64, layer = "exit_merge"} : (!dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x1xi1>, !dataflow.stream<1x1x4xi8>) -> (!dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x1xi8>)
// TWO  -NEXT:    func.return %output, %exit_index : !dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x1xi8>
// THREE:       error: split-exit-branches: @two_exits: 1 early exit (2 results) but 2 thresholds (0.8,0.95); give one per early exit
// HIGH:        error: split-exit-branches: @two_exits: threshold 1.5 of exit 0 is not in (0, 1]
// ZERO:        error: split-exit-branches: @two_exits: threshold 0 of exit 0 is not in (0, 1]
// NONE:        error: split-exit-branches: @two_exits: no thresholds; give split-exit-branches{thresholds=...} (one per early exit) or record dataflow.exit_thresholds with fpga-profile-exits --write-ir
func.func @two_exits(%x: !dataflow.stream<8x8x2xi8>) -> (!dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x4xi8>)
    attributes {dataflow.exits = 2 : i64, dataflow.output_names = ["early", "final"], dataflow.output_scales = [0.25 : f64, 0.25 : f64]} {
  %c0 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "c0"} : (!dataflow.stream<8x8x2xi8>) -> !dataflow.stream<8x8x4xi8>
  %f:2 = dataflow.fork %c0 : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %e0 = dataflow.linear %f#0 {weights = "e0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "e0"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<1x1x4xi8>
  %c1 = dataflow.conv %f#1 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "c1"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  %p1 = dataflow.pool %c1 {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, layer = "p1"} : !dataflow.stream<8x8x8xi8> -> !dataflow.stream<4x4x8xi8>
  %e1 = dataflow.linear %p1 {weights = "e1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "e1"} : !dataflow.stream<4x4x8xi8> -> !dataflow.stream<1x1x4xi8>
  func.return %e0, %e1 : !dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x4xi8>
}

// -----
// Three exits, written without forks and with the final stage before the exit branches in
// program order: the pass inserts the forks and reorders the ops so every value is defined
// before use.  Exit 1's branch point feeds two backbone ops (a residual join), so the
// continuing features are forked after its conditional buffer.  Stages: 0 up to exit 0's
// branch point, 1 up to exit 1's, 2 after; each exit's branch has its exit's stage.
// THREE-LABEL:   func.func @three_exits
// THREE-SAME:      -> (!dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x1xi8>)
// THREE-SAME:      dataflow.exit_scales = [2.500000e-01 : f64, 1.250000e-01 : f64, 1.250000e-01 : f64], dataflow.exit_thresholds = [8.000000e-01 : f64, 9.500000e-01 : f64]
// THREE-NOT:       dataflow.output_scales
// THREE:           %c0 = dataflow.conv %x {dataflow.stage = 0 : i64
// THREE-NEXT:      %exit0_branch, %exit0_backbone = dataflow.fork %c0 {dataflow.stage = 0 : i64
// THREE-NEXT:      %e0 = dataflow.linear %exit0_branch {dataflow.stage = 0 : i64
// THREE:           %exit0_decision = dataflow.exit_decision %exit0_to_decision {dataflow.stage = 0 : i64, threshold = 8.000000e-01 : f64, scale = 2.500000e-01 : f64
// THREE:           %exit0_continue = dataflow.conditional_buffer %exit0_backbone, %exit0_decision_to_buffer {dataflow.stage = 0 : i64
// THREE-NEXT:      %c1 = dataflow.conv %exit0_continue {dataflow.stage = 1 : i64
// THREE-NEXT:      %exit1_branch, %exit1_backbone = dataflow.fork %c1 {dataflow.stage = 1 : i64
// THREE-NEXT:      %b1 = dataflow.pool %exit1_branch {dataflow.stage = 1 : i64
// THREE-NEXT:      %e1 = dataflow.linear %b1 {dataflow.stage = 1 : i64
// THREE:           %exit1_decision = dataflow.exit_decision %exit1_to_decision {dataflow.stage = 1 : i64, threshold = 9.500000e-01 : f64, scale = 1.250000e-01 : f64
// THREE:           %exit1_continue = dataflow.conditional_buffer %exit1_backbone, %exit1_decision_to_buffer {dataflow.stage = 1 : i64, depth = {{[0-9]+}} : i64, layer = "exit1.buffer"} : !dataflow.stream<8x8x4xi8>
// THREE-NEXT:      %[[A:.*]], %[[B:.*]] = dataflow.fork %exit1_continue {dataflow.stage = 2 : i64, layer = "exit1.backbone_fork"}
// THREE-NEXT:      %c2 = dataflow.conv %[[A]] {dataflow.stage = 2 : i64
// THREE-NEXT:      %sum = dataflow.add %c2, %[[B]] {dataflow.stage = 2 : i64
// THREE-NEXT:      %e2 = dataflow.linear %sum {dataflow.stage = 2 : i64
// THREE-NEXT:      %output, %exit_index = dataflow.exit_merge %exit0_to_merge, %exit0_decision_to_merge, %exit1_to_merge, %exit1_decision_to_merge, %e2 {dataflow.stage = 0 : i64, layer = "exit_merge"}
// THREE-NEXT:      func.return %output, %exit_index
// TWO:         error: split-exit-branches: @three_exits: 2 early exits (3 results) but 1 threshold (0.9); give one per early exit
func.func @three_exits(%x: !dataflow.stream<8x8x2xi8>) -> (!dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x4xi8>)
    attributes {dataflow.exits = 3 : i64, dataflow.output_scales = [0.25 : f64, 0.125 : f64, 0.125 : f64]} {
  %c0 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "c0"} : (!dataflow.stream<8x8x2xi8>) -> !dataflow.stream<8x8x4xi8>
  %c1 = dataflow.conv %c0 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "c1"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %c2 = dataflow.conv %c1 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c2.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "c2"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %sum = dataflow.add %c2, %c1 {requant = #dataflow.requant<multiplier = 1, shift = 1, min = 0>, layer = "sum"} : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  %e2 = dataflow.linear %sum {weights = "e2.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "e2"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<1x1x4xi8>
  %e0 = dataflow.linear %c0 {weights = "e0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "e0"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<1x1x4xi8>
  %b1 = dataflow.pool %c1 {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, layer = "b1"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<4x4x4xi8>
  %e1 = dataflow.linear %b1 {weights = "e1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "e1"} : !dataflow.stream<4x4x4xi8> -> !dataflow.stream<1x1x4xi8>
  func.return %e0, %e1, %e2 : !dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x4xi8>
}

// -----
// A float network whose exits end in softmax: the decision reads the logits before the softmax,
// the merge the probabilities.  Float logits need no scale.  The thresholds come from the
// function's dataflow.exit_thresholds only when the option is empty, so here the option wins.
// TWO-LABEL:   func.func @float_softmax_exits
// TWO:           %exit0_to_decision, %exit0_to_merge = dataflow.fork %l0
// TWO:           dataflow.exit_decision %exit0_to_decision {dataflow.stage = 0 : i64, threshold = 9.000000e-01 : f64, layer = "exit0.decision"} : !dataflow.stream<1x1x3xf32> -> !dataflow.stream<1x1x1xi1>
// TWO:           %s0 = dataflow.softmax %exit0_to_merge {dataflow.stage = 0 : i64
// TWO:           dataflow.exit_merge %s0, %exit0_decision_to_merge, %s1
// THREE:       error: split-exit-branches: @float_softmax_exits: 1 early exit (2 results) but 2 thresholds
// NONE-LABEL:  func.func @float_softmax_exits
// NONE:          dataflow.exit_decision %exit0_to_decision {dataflow.stage = 0 : i64, threshold = 5.000000e-01 : f64, layer = "exit0.decision"}
func.func @float_softmax_exits(%x: !dataflow.stream<4x4x2xf32>) -> (!dataflow.stream<1x1x3xf32>, !dataflow.stream<1x1x3xf32>)
    attributes {dataflow.exits = 2 : i64, dataflow.exit_thresholds = [0.5 : f64]} {
  %f:2 = dataflow.fork %x : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<4x4x2xf32>, !dataflow.stream<4x4x2xf32>
  %l0 = dataflow.linear %f#0 {weights = "l0.w", weight_type = f32} : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<1x1x3xf32>
  %s0 = dataflow.softmax %l0 : !dataflow.stream<1x1x3xf32> -> !dataflow.stream<1x1x3xf32>
  %l1 = dataflow.linear %f#1 {weights = "l1.w", weight_type = f32} : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<1x1x3xf32>
  %s1 = dataflow.softmax %l1 : !dataflow.stream<1x1x3xf32> -> !dataflow.stream<1x1x3xf32>
  func.return %s0, %s1 : !dataflow.stream<1x1x3xf32>, !dataflow.stream<1x1x3xf32>
}

// -----
// Errors.  A function with one result is not an early-exit network.
func.func @one_output(%x: !dataflow.stream<4x4x2xf32>) -> !dataflow.stream<1x1x3xf32> {
  %l = dataflow.linear %x {weights = "l.w", weight_type = f32} : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<1x1x3xf32>
  func.return %l : !dataflow.stream<1x1x3xf32>
}
// CHECK: error: split-exit-branches: @one_output: has 1 result; an early-exit network returns one result per exit (at least 2)

// -----
// The exit count the frontend recorded disagrees with the results.
func.func @exits_mismatch(%x: !dataflow.stream<4x4x2xf32>) -> (!dataflow.stream<1x1x3xf32>, !dataflow.stream<1x1x3xf32>) attributes {dataflow.exits = 3 : i64} {
  %f:2 = dataflow.fork %x : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<4x4x2xf32>, !dataflow.stream<4x4x2xf32>
  %l0 = dataflow.linear %f#0 {weights = "l0.w", weight_type = f32} : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<1x1x3xf32>
  %l1 = dataflow.linear %f#1 {weights = "l1.w", weight_type = f32} : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<1x1x3xf32>
  func.return %l0, %l1 : !dataflow.stream<1x1x3xf32>, !dataflow.stream<1x1x3xf32>
}
// CHECK: error: split-exit-branches: @exits_mismatch: dataflow.exits says 3 exits but the function has 2 results

// -----
// Integer logits need the exits' output scales.
func.func @no_scales(%x: !dataflow.stream<4x4x2xi8>) -> (!dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x3xi8>) {
  %f:2 = dataflow.fork %x : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<4x4x2xi8>, !dataflow.stream<4x4x2xi8>
  %l0 = dataflow.linear %f#0 {weights = "l0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<1x1x3xi8>
  %l1 = dataflow.linear %f#1 {weights = "l1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>} : !dataflow.stream<4x4x2xi8> -> !dataflow.stream<1x1x3xi8>
  func.return %l0, %l1 : !dataflow.stream<1x1x3xi8>, !dataflow.stream<1x1x3xi8>
}
// TWO: error: split-exit-branches: @no_scales: exit 0's logits are integers but the function has no dataflow.output_scales; the decision needs their scale

// -----
// The merge needs one result type for all exits.
func.func @different_types(%x: !dataflow.stream<4x4x2xf32>) -> (!dataflow.stream<1x1x3xf32>, !dataflow.stream<1x1x5xf32>) {
  %f:2 = dataflow.fork %x : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<4x4x2xf32>, !dataflow.stream<4x4x2xf32>
  %l0 = dataflow.linear %f#0 {weights = "l0.w", weight_type = f32} : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<1x1x3xf32>
  %l1 = dataflow.linear %f#1 {weights = "l1.w", weight_type = f32} : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<1x1x5xf32>
  func.return %l0, %l1 : !dataflow.stream<1x1x3xf32>, !dataflow.stream<1x1x5xf32>
}
// CHECK: error: split-exit-branches: @different_types: exit 1 returns !dataflow.stream<1x1x5xf32> but exit 0 returns !dataflow.stream<1x1x3xf32>; exit_merge needs one type

// -----
// Exit 0 must branch off the backbone before exit 1 does.
func.func @out_of_order(%x: !dataflow.stream<4x4x2xf32>) -> (!dataflow.stream<1x1x3xf32>, !dataflow.stream<1x1x3xf32>, !dataflow.stream<1x1x3xf32>) {
  %a = dataflow.activation %x {activation = #dataflow.act<kind = "relu">} : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<4x4x2xf32>
  %f:2 = dataflow.fork %a : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<4x4x2xf32>, !dataflow.stream<4x4x2xf32>
  %b = dataflow.activation %f#1 {activation = #dataflow.act<kind = "relu">} : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<4x4x2xf32>
  %g:2 = dataflow.fork %b : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<4x4x2xf32>, !dataflow.stream<4x4x2xf32>
  %l0 = dataflow.linear %g#0 {weights = "l0.w", weight_type = f32} : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<1x1x3xf32>
  %l1 = dataflow.linear %f#0 {weights = "l1.w", weight_type = f32} : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<1x1x3xf32>
  %l2 = dataflow.linear %g#1 {weights = "l2.w", weight_type = f32} : !dataflow.stream<4x4x2xf32> -> !dataflow.stream<1x1x3xf32>
  func.return %l0, %l1, %l2 : !dataflow.stream<1x1x3xf32>, !dataflow.stream<1x1x3xf32>, !dataflow.stream<1x1x3xf32>
}
// CHECK: error: split-exit-branches: @out_of_order: backbone op 'dataflow.activation' feeds exits [0, 2]; exits must branch off the backbone in result order

// -----
// Already split: run the pass once.
func.func @already_split(%l0: !dataflow.stream<1x1x3xf32>, %l1: !dataflow.stream<1x1x3xf32>) -> (!dataflow.stream<1x1x3xf32>, !dataflow.stream<1x1x3xf32>) {
  %d = dataflow.exit_decision %l0 {threshold = 0.5 : f64} : !dataflow.stream<1x1x3xf32> -> !dataflow.stream<1x1x1xi1>
  %r, %i = dataflow.exit_merge %l1, %d, %l1 : (!dataflow.stream<1x1x3xf32>, !dataflow.stream<1x1x1xi1>, !dataflow.stream<1x1x3xf32>) -> (!dataflow.stream<1x1x3xf32>, !dataflow.stream<1x1x1xi8>)
  func.return %r, %r : !dataflow.stream<1x1x3xf32>, !dataflow.stream<1x1x3xf32>
}
// CHECK: error: split-exit-branches: @already_split: already has early-exit ops; run split-exit-branches once
