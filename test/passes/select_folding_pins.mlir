// select-folding{layer-parallelism=...}: one value per layer with folding factors, in program
// order; 0 leaves the layer to the search, k >= 1 pins it to its cheapest folding at least k times
// as fast as its smallest one, and the search sizes the other layers around it (fpga-explore's
// per-layer parallelism genes, docs/explore.md).
// RUN: fpga-opt %s --split-input-file -p 'select-folding{board=pynqz2 layer-parallelism=0,0,0,0}' | filecheck %s --check-prefix=AUTO
// RUN: fpga-opt %s --split-input-file -p 'select-folding{board=pynqz2 layer-parallelism=1,0,0,0}' | filecheck %s --check-prefix=SLOW
// RUN: fpga-opt %s --split-input-file -p 'select-folding{board=pynqz2 algorithm=anneal layer-parallelism=1,0,0,0}' | filecheck %s --check-prefix=ANNEAL
// RUN: fpga-opt %s --split-input-file -p 'select-folding{board=pynqz2 layer-parallelism=0,8,0,0}' | filecheck %s --check-prefix=EIGHT
// RUN: fpga-opt %s --split-input-file -p 'select-folding{board=pynqz2 layer-parallelism=0,8,0,0},estimate-resources' | filecheck %s --check-prefix=RATE
// RUN: not fpga-opt %s --split-input-file -p 'select-folding{board=pynqz2 layer-parallelism=0,1000,0,0}' 2>&1 | filecheck %s --check-prefix=FIT
// RUN: not fpga-opt %s --split-input-file -p 'select-folding{board=pynqz2 layer-parallelism=0,0}' 2>&1 | filecheck %s --check-prefix=COUNT
// RUN: not fpga-opt %s --split-input-file -p 'select-folding{board=pynqz2 layer-parallelism=0,-2,0,0}' 2>&1 | filecheck %s --check-prefix=NEGATIVE

// conv1 has 294,912 MACs, conv2 589,824 (test/passes/select_folding.mlir's two_convs).
// Every value 0: the search alone, as without the option (select_folding.mlir's PYNQ foldings:
// flattened passes of 15 and 29 window products, 5,120 cycles).
// AUTO-LABEL: func.func @two_convs
// AUTO: layer = "conv1", coarse_in = 8 : i64, coarse_out = 4 : i64, terms = 15 : i64}
// AUTO: layer = "conv2", coarse_in = 16 : i64, coarse_out = 4 : i64, terms = 29 : i64}
//
// conv1 pinned at speed-up 1: its smallest folding (294,912 cycles a frame), and the search then
// gives conv2 the cheapest folding meeting that interval, 2 multipliers (589,824 / 2), not the
// fastest that fits: a faster conv2 would only wait for conv1.
// SLOW-LABEL: func.func @two_convs
// SLOW: layer = "conv1"}
// SLOW: layer = "conv2", coarse_in = 2 : i64}
// The annealing never moves a pinned layer either.
// ANNEAL-LABEL: func.func @two_convs
// ANNEAL: layer = "conv1"}
//
// conv2 pinned at speed-up 8: at most 589,824 / 8 = 73,728 cycles; its cheapest such folding is
// fine = 9 (65,536 cycles: 9 taps in one pass).  conv1 is then sized to that interval: fine = 5
// takes 2 passes over 9 taps, 294,912 * 2 / 9 = 65,536 cycles.
// EIGHT-LABEL: func.func @two_convs
// EIGHT: layer = "conv1", fine = 5 : i64}
// EIGHT: layer = "conv2", fine = 9 : i64}
// RATE: dataflow.estimate = {board = "pynqz2", clock_mhz = 1.000000e+02 : f64, interval = 65536 : i64
//
// Pinned at its fastest folding (a speed-up beyond its reach takes the fastest), conv2 needs more
// DSPs than the Pynq-Z2 has: the one-line error says the pins are why.
// FIT: fpga-opt: error: select-folding: design does not fit pynqz2 even at minimum folding with the pinned layer-parallelism: dsp needs {{[0-9]+}}, board allows 187 (85% of 220)
// FIT-NOT: Traceback
//
// COUNT: fpga-opt: error: select-folding: layer-parallelism has 2 values for 4 layers with folding factors (conv1, conv2, gap, fc): give one per layer in this order, 0 to let the search choose
// NEGATIVE: fpga-opt: error: select-folding: layer-parallelism values must be 0 (search) or a speed-up >= 1, got -2

func.func @two_convs(%x: !dataflow.stream<16x16x8xi8>) -> !dataflow.stream<1x1x10xi8> {
  %c1 = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, layer = "conv1"} : (!dataflow.stream<16x16x8xi8>) -> !dataflow.stream<16x16x16xi8>
  %c2 = dataflow.conv %c1 {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c2.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, layer = "conv2"} : (!dataflow.stream<16x16x16xi8>) -> !dataflow.stream<16x16x16xi8>
  %g = dataflow.global_pool %c2 {mode = "avg", requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "gap"} : !dataflow.stream<16x16x16xi8> -> !dataflow.stream<1x1x16xi8>
  %y = dataflow.linear %g {weights = "fc.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 6>, layer = "fc"} : !dataflow.stream<1x1x16xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %y : !dataflow.stream<1x1x10xi8>
}


