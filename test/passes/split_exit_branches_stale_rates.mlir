// Exit rates measured at other thresholds are stale: split-exit-branches drops them, so nothing costs the
// design with them (select-folding then asks for rates); at the recorded thresholds they stay.
// RUN: fpga-opt %s -p 'split-exit-branches{thresholds=0.8}' | filecheck %s --check-prefix=OTHER
// RUN: fpga-opt %s -p 'split-exit-branches' | filecheck %s --check-prefix=SAME
// RUN: not fpga-opt %s -p 'split-exit-branches{thresholds=0.8},select-folding{board=pynqz2}' 2>&1 | filecheck %s --check-prefix=FOLD

// OTHER-LABEL: func.func @profiled
// OTHER-SAME:  dataflow.exit_thresholds = [8.000000e-01 : f64]
// OTHER-NOT:   dataflow.exit_probabilities
// OTHER-NOT:   dataflow.exit_profile
// OTHER:       %c0 = dataflow.conv
// SAME-LABEL:  func.func @profiled
// SAME-SAME:   dataflow.exit_thresholds = [9.000000e-01 : f64], dataflow.exit_probabilities = [7.500000e-01 : f64, 2.500000e-01 : f64]
// FOLD:        fpga-opt: error: select-folding: @profiled: early-exit network without exit probabilities
func.func @profiled(%x: !dataflow.stream<8x8x2xi8>) -> (!dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x4xi8>)
    attributes {dataflow.exits = 2 : i64, dataflow.output_names = ["early", "final"], dataflow.output_scales = [0.25 : f64, 0.25 : f64],
                dataflow.exit_thresholds = [0.9 : f64], dataflow.exit_probabilities = [0.75 : f64, 0.25 : f64],
                dataflow.exit_profile = {samples = 4 : i64, source = "fpga-profile-exits"}} {
  %c0 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "c0"} : (!dataflow.stream<8x8x2xi8>) -> !dataflow.stream<8x8x4xi8>
  %f:2 = dataflow.fork %c0 : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %e0 = dataflow.linear %f#0 {weights = "e0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "e0"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<1x1x4xi8>
  %c1 = dataflow.conv %f#1 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6, min = 0>, layer = "c1"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  %e1 = dataflow.linear %c1 {weights = "e1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "e1"} : !dataflow.stream<8x8x8xi8> -> !dataflow.stream<1x1x4xi8>
  func.return %e0, %e1 : !dataflow.stream<1x1x4xi8>, !dataflow.stream<1x1x4xi8>
}
