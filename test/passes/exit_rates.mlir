// Exit rates: estimate-resources costs each op per network sample (reach x cycles).
// RUN: fpga-opt %s -p 'split-exit-branches{thresholds=0.9},select-folding{board=pynqz2},estimate-resources' | filecheck %s --check-prefix=AWARE
// RUN: fpga-opt %s -p 'split-exit-branches{thresholds=0.9},select-folding{board=pynqz2 exit-probabilities=0.75,0.25},size-fifos' 2>&1 >/dev/null | filecheck %s --check-prefix=SIZED --allow-empty

// Measured rates (75% leave early): c1 runs for a quarter of the samples, so the interval is
// max(c0's 1024 cycles, 0.25 x c1's 4096) = 1024 per sample, not c1's 4096 per frame.
// AWARE:       dataflow.estimate = {{.*}}interval = 1024 : i64, exit_rates = "measured", frame_interval = 4096 : i64
// AWARE-LABEL: func.func @measured
// AWARE:       %c1 = dataflow.conv {{.*}}dataflow.cost = {cycles = 4096 : i64, per_sample = 1024 : i64
// SIZED-NOT:   warning
func.func @measured(%x: !dataflow.stream<16x16x8xi8>) -> (!dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x4xi8>)
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
