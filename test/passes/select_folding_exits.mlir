// Exit-aware folding: a stage that only the fraction q of the samples reach needs only q of the rate.
// RUN: fpga-opt %s -p 'split-exit-branches{thresholds=0.9},select-folding{board=pynqz2}' | filecheck %s --check-prefix=EXIT
// The baseline: the same network without its early exit, through the same selection.
// RUN: fpga-opt %s -p 'drop-early-exits,select-folding{board=pynqz2}' | filecheck %s --check-prefix=BASE
// Not exit-aware: both stages are sized for every sample, as in the baseline.
// RUN: fpga-opt %s -p 'split-exit-branches{thresholds=0.9},select-folding{board=pynqz2 exit-aware=false}' | filecheck %s --check-prefix=BASE
// The option overrides the recorded probabilities: q = 0.5.
// RUN: fpga-opt %s -p 'split-exit-branches{thresholds=0.9},select-folding{board=pynqz2 exit-probabilities=0.5,0.5}' | filecheck %s --check-prefix=HALF
// Minimum resources for 20,000 fps: the later stage needs a quarter of the baseline's multipliers.
// RUN: fpga-opt %s -p 'split-exit-branches{thresholds=0.9},select-folding{board=pynqz2 objective=resources target-fps=20000}' | filecheck %s --check-prefix=CHEAP
// RUN: fpga-opt %s -p 'drop-early-exits,select-folding{board=pynqz2 objective=resources target-fps=20000}' | filecheck %s --check-prefix=CHEAPBASE
// Bad probabilities are one-line errors.
// RUN: not fpga-opt %s -p 'split-exit-branches{thresholds=0.9},select-folding{board=pynqz2 exit-probabilities=0.5}' 2>&1 | filecheck %s --check-prefix=COUNT
// RUN: not fpga-opt %s -p 'split-exit-branches{thresholds=0.9},select-folding{board=pynqz2 exit-probabilities=0.5,0.6}' 2>&1 | filecheck %s --check-prefix=SUM
// RUN: not fpga-opt %s -p 'drop-early-exits,select-folding{board=pynqz2 exit-probabilities=0.5,0.5}' 2>&1 | filecheck %s --check-prefix=NOEXIT

// c0 (stage 0) and c1 (stage 1) are the same 3x3 conv, 147,456 MACs per frame each.  With 75% of the
// samples leaving at the early exit (dataflow.exit_probabilities), c1 runs for a quarter of them:
// q * cycles = 0.25 * 147,456 / 36 = 1024 = 147,456 / 144, so c1 gets a quarter of c0's multipliers
// (36 vs 144) and the design runs at one sample per 1024 cycles (97.7k fps at 100 MHz).  The baseline
// splits the same DSP budget evenly: 88 and 88 multipliers in 7 flattened passes of 11 of the
// 72 products of a filter's window (the kernel-position form stops at 72 and 72, 8 passes), one
// sample per 1792 cycles.  The exit buffers are then sized for that folding (size-exit-buffers).
// EXIT-LABEL: func.func @early_exit
// EXIT:       layer = "c0", coarse_in = 4 : i64, coarse_out = 4 : i64, fine = 9 : i64}
// EXIT:       dataflow.conditional_buffer {{.*}}layer = "exit0.buffer"
// EXIT:       layer = "exit0.backlog"
// EXIT:       layer = "c1", coarse_in = 2 : i64, coarse_out = 2 : i64, fine = 9 : i64}
// EXIT:       layer = "exit0.results"

// BASE:       layer = "c0", coarse_in = 8 : i64, coarse_out = 8 : i64, terms = 11 : i64}
// BASE:       layer = "c1", coarse_in = 8 : i64, coarse_out = 8 : i64, terms = 11 : i64}

// q = 0.5: c1 gets half of c0's multipliers (60 vs 120: passes of 15 of the 72 products, 5 a filter,
// for 4 filters against 8).
// HALF:       layer = "c0", coarse_in = 8 : i64, coarse_out = 8 : i64, terms = 15 : i64}
// HALF:       layer = "c1", coarse_in = 8 : i64, coarse_out = 4 : i64, terms = 15 : i64}

// 20,000 fps at 100 MHz is 5000 cycles: c0 needs 30 multipliers or more (36: 2x2x9), c1 a quarter
// of that (9: one kernel's positions), the baseline 36 for both.
// CHEAP:      layer = "c0", coarse_in = 2 : i64, coarse_out = 2 : i64, fine = 9 : i64}
// CHEAP:      layer = "c1", fine = 9 : i64}
// CHEAPBASE:  layer = "c0", coarse_in = 2 : i64, coarse_out = 2 : i64, fine = 9 : i64}
// CHEAPBASE:  layer = "c1", coarse_in = 2 : i64, coarse_out = 2 : i64, fine = 9 : i64}

// COUNT:      select-folding: @early_exit: exit probabilities: 1 exit probabilities for 2 exits; give one per exit
// SUM:        select-folding: @early_exit: exit probabilities: exit probabilities must sum to 1, got 1.1
// NOEXIT:     select-folding: exit-probabilities given but the module has no split early-exit network
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
