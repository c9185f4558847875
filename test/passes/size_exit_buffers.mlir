// RUN: fpga-opt %s -p 'split-exit-branches{thresholds=0.9},size-exit-buffers' | filecheck %s
// Running it again re-sizes the same buffers (no new ones); backlog=0 removes the backlog buffer.
// RUN: fpga-opt %s -p 'split-exit-branches{thresholds=0.9},size-exit-buffers,size-exit-buffers' | filecheck %s
// RUN: fpga-opt %s -p 'split-exit-branches{thresholds=0.9},size-exit-buffers,size-exit-buffers{backlog=0}' | filecheck %s --check-prefix=NOBACKLOG
// After a folding that speeds the backbone up, the conditional buffer and the merge queue grow.
// RUN: fpga-opt %s -p 'split-exit-branches{thresholds=0.9},size-exit-buffers' | sed -e 's/layer = "c0"/coarse_out = 4 : i64, fine = 9 : i64, layer = "c0"/' | fpga-opt -p size-exit-buffers | filecheck %s --check-prefix=FAST
// Without early exits the pass changes nothing.
// RUN: fpga-opt %s -p size-exit-buffers | filecheck %s --check-prefix=UNSPLIT

// The conditional buffer holds the decision latency (315 elements: more than the 256-element frame,
// because the exit's linear layer finishes its folds after the frame's last element); the backlog buffer
// one frame of continuing samples; the merge queue 11 results of exit 0 (44 elements) and 11 decisions.
// CHECK-LABEL: func.func @two_exits
// CHECK:         %exit0_continue = dataflow.conditional_buffer %exit0_backbone, %exit0_decision_to_buffer {dataflow.stage = 0 : i64, depth = 315 : i64, layer = "exit0.buffer"}
// CHECK-NEXT:    %exit0_backlog = dataflow.buffer %exit0_continue {dataflow.stage = 1 : i64, depth = 256 : i64, layer = "exit0.backlog"}
// CHECK-NEXT:    %c1 = dataflow.conv %exit0_backlog {dataflow.stage = 1 : i64
// CHECK:         %e1 = dataflow.linear
// CHECK-NEXT:    %exit0_results = dataflow.buffer %exit0_to_merge {dataflow.stage = 0 : i64, depth = 44 : i64, layer = "exit0.results"} : !dataflow.stream<1x1x4xi8> -> !dataflow.stream<1x1x4xi8>
// CHECK-NEXT:    %exit0_decisions = dataflow.buffer %exit0_decision_to_merge {dataflow.stage = 0 : i64, depth = 11 : i64, layer = "exit0.decisions"} : !dataflow.stream<1x1x1xi1> -> !dataflow.stream<1x1x1xi1>
// CHECK-NEXT:    %output, %exit_index = dataflow.exit_merge %exit0_results, %exit0_decisions, %e1
// CHECK-NOT:     dataflow.buffer

// NOBACKLOG:     dataflow.conditional_buffer
// NOBACKLOG-NOT: exit0.backlog
// NOBACKLOG:     %c1 = dataflow.conv %exit0_continue
// NOBACKLOG:     layer = "exit0.results"

// FAST:          dataflow.conditional_buffer {{.*}}depth = [[D:[0-9]+]] : i64, layer = "exit0.buffer"
// FAST-NOT:      depth = 315 : i64
// FAST:          layer = "exit0.backlog"
// FAST:          layer = "exit0.results"
// FAST-NOT:      depth = 44 : i64

// UNSPLIT-NOT:   dataflow.buffer
// UNSPLIT:       func.return %e0, %e1
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
