// select-folding on an early-exit network goes through passes/analysis/exit_search.py: `exit_reach`
// (each op's reach from the given or recorded exit rates, the exit buffers sized before the search so
// that their resources count) and `resize_exit_buffers` (re-sized for the folding chosen; the design
// must still fit).  The network is select_folding_exits.mlir's: c0 in stage 0, c1 in stage 1.
//
// Every sample leaves at exit 0: c1 is reached by none and stays at its cheapest folding; c0 takes the
// budget c1 leaves (176 multipliers: two pixels side by side in 7 flattened passes of 11 products,
// 896 cycles), and the merge queue is re-sized for c1 at that folding: 1,340 result elements (335
// frames of 4) wait behind one hard sample, against 36 when c1 is folded for a quarter of the samples
// (select_folding_exits.mlir, NOBACKLOG below).
// RUN: fpga-opt %s -p 'split-exit-branches{thresholds=0.9},select-folding{board=pynqz2 exit-probabilities=1.0,0.0}' | filecheck %s --check-prefix=NONE
// No backlog buffer: the conditional buffer feeds c1 directly, the queue is shorter.
// RUN: fpga-opt %s -p 'split-exit-branches{thresholds=0.9},select-folding{board=pynqz2 exit-backlog=0}' | filecheck %s --check-prefix=NOBACKLOG
// The exit buffers count before the search: a backlog of 400 frames (3.2 MB) cannot fit the Pynq-Z2.
// RUN: not fpga-opt %s -p 'split-exit-branches{thresholds=0.9},select-folding{board=pynqz2 exit-backlog=400}' 2>&1 | filecheck %s --check-prefix=HUGE
// RUN: not fpga-opt %s -p 'split-exit-branches{thresholds=0.9},select-folding{board=pynqz2 exit-backlog=-1}' 2>&1 | filecheck %s --check-prefix=NEGATIVE

// NONE-LABEL: func.func @early_exit
// NONE:       layer = "c0", coarse_in = 8 : i64, coarse_out = 8 : i64, reuse = 2 : i64, terms = 11 : i64}
// NONE:       depth = 3349 : i64, layer = "exit0.buffer"
// NONE:       depth = 2048 : i64, layer = "exit0.backlog"
// NONE:       layer = "c1"} :
// NONE:       depth = 1340 : i64, layer = "exit0.results"
// NONE:       depth = 335 : i64, layer = "exit0.decisions"

// NOBACKLOG-LABEL: func.func @early_exit
// NOBACKLOG:       layer = "c0", coarse_in = 4 : i64, coarse_out = 4 : i64, fine = 9 : i64}
// NOBACKLOG:       %exit0_continue = dataflow.conditional_buffer {{.*}}depth = 4206 : i64, layer = "exit0.buffer"
// NOBACKLOG-NOT:   exit0.backlog
// NOBACKLOG:       dataflow.conv %exit0_continue {{.*}}layer = "c1", coarse_in = 2 : i64, coarse_out = 2 : i64, fine = 9 : i64}
// NOBACKLOG:       depth = 36 : i64, layer = "exit0.results"
// NOBACKLOG:       depth = 9 : i64, layer = "exit0.decisions"

// HUGE:       fpga-opt: error: select-folding: design does not fit pynqz2 even at minimum folding: bram18 needs 403, board allows 238 (85% of 280)
// HUGE-NOT:   Traceback
// NEGATIVE:   fpga-opt: error: select-folding: exit-backlog must be >= 0 frames, got -1
// NEGATIVE-NOT: Traceback

func.func @early_exit(%x: !dataflow.stream<16x16x8xi8>) -> (!dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x4xi8>)
    attributes {dataflow.exits = 2 : i64, dataflow.output_names = ["early", "final"], dataflow.output_scales = [0.25 : f64, 0.25 : f64],
                dataflow.exit_probabilities = [0.75 : f64, 0.25 : f64]} {
  %c0 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "c0"} : (!dataflow.stream<16x16x8xi8>) -> !dataflow.stream<16x16x8xi8>
  %f:2 = dataflow.fork %c0 : !dataflow.stream<16x16x8xi8> -> !dataflow.stream<16x16x8xi8>, !dataflow.stream<16x16x8xi8>
  %g0 = dataflow.global_pool %f#0 {mode = "avg", requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "gap0"} : !dataflow.stream<16x16x8xi8> -> !dataflow.stream<1x1x8xi8>
  %e0 = dataflow.linear %g0 {weights = "e0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "e0"} : !dataflow.stream<1x1x8xi8> -> !dataflow.stream<1x1x4xi8>
  %c1 = dataflow.conv %f#1 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "c1"} : (!dataflow.stream<16x16x8xi8>) -> !dataflow.stream<16x16x8xi8>
  %g1 = dataflow.global_pool %c1 {mode = "avg", requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "gap1"} : !dataflow.stream<16x16x8xi8> -> !dataflow.stream<1x1x8xi8>
  %e1 = dataflow.linear %g1 {weights = "e1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "e1"} : !dataflow.stream<1x1x8xi8> -> !dataflow.stream<1x1x4xi8>
  func.return %e0, %e1 : !dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x4xi8>
}

