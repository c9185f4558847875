// An early-exit network without exit rates: an error in select-folding, a warning elsewhere, never a
// silent worst case.
// RUN: not fpga-opt %s -p 'split-exit-branches{thresholds=0.9},select-folding{board=pynqz2}' 2>&1 | filecheck %s --check-prefix=MISSING
// RUN: fpga-opt %s -p 'split-exit-branches{thresholds=0.9},select-folding{board=pynqz2 exit-aware=false},estimate-resources' 2>&1 | filecheck %s --check-prefix=WORST
// RUN: fpga-opt %s -p 'split-exit-branches{thresholds=0.9},select-folding{board=pynqz2 exit-aware=false},size-fifos' 2>&1 >/dev/null | filecheck %s --check-prefix=SIZEWORST
// No rates (thresholds given straight to split-exit-branches): select-folding refuses to guess; with
// exit-aware=false it sizes every stage for every sample, and estimate-resources and size-fifos say so.
// MISSING:     fpga-opt: error: select-folding: @unprofiled: early-exit network without exit probabilities (dataflow.exit_probabilities): every stage is costed as if every sample reached it, the worst case; record the exit rates with fpga-profile-exits --write-ir (or fpga-compile --exit-data), or give them (select-folding{exit-probabilities=...}), or exit-aware=false to size every stage for every sample
// WORST:       estimate-resources: warning: @unprofiled: early-exit network without exit probabilities
// WORST:       exit_rates = "none"
// SIZEWORST:   size-fifos: warning: @unprofiled: early-exit network without exit probabilities
func.func @unprofiled(%x: !dataflow.stream<16x16x8xi8>) -> (!dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x4xi8>)
    attributes {dataflow.exits = 2 : i64, dataflow.output_names = ["early", "final"], dataflow.output_scales = [0.25 : f64, 0.25 : f64]} {
  %c0 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "c0"} : (!dataflow.stream<16x16x8xi8>) -> !dataflow.stream<16x16x8xi8>
  %f:2 = dataflow.fork %c0 : !dataflow.stream<16x16x8xi8> -> !dataflow.stream<16x16x8xi8>, !dataflow.stream<16x16x8xi8>
  %g0 = dataflow.global_pool %f#0 {mode = "avg", requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "gap0"} : !dataflow.stream<16x16x8xi8> -> !dataflow.stream<1x1x8xi8>
  %e0 = dataflow.linear %g0 {weights = "e0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "e0"} : !dataflow.stream<1x1x8xi8> -> !dataflow.stream<1x1x4xi8>
  %c1 = dataflow.conv %f#1 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "c1"} : (!dataflow.stream<16x16x8xi8>) -> !dataflow.stream<16x16x8xi8>
  %g1 = dataflow.global_pool %c1 {mode = "avg", requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "gap1"} : !dataflow.stream<16x16x8xi8> -> !dataflow.stream<1x1x8xi8>
  %e1 = dataflow.linear %g1 {weights = "e1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "e1"} : !dataflow.stream<1x1x8xi8> -> !dataflow.stream<1x1x4xi8>
  func.return %e0, %e1 : !dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x4xi8>
}
