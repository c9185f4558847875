// Every hls op round-trips: custom form, and generic form back to custom.
// RUN: fpga-opt %s --split-input-file | filecheck %s
// RUN: fpga-opt %s --split-input-file --print-op-generic | fpga-opt --split-input-file | filecheck %s
// RUN: fpga-opt %s --split-input-file --print-op-generic | filecheck %s --check-prefix=GENERIC

// A conv (line buffer + multiplier array), a lane adapter and a linear layer.
// CHECK-LABEL: hls.design @block attributes {part = "xck26-sfvc784-2LV-c", clock_mhz = 2.500000e+02 : f64, board = "kv260", pragmas = ["DATAFLOW", "INTERFACE ap_ctrl_chain port=return"]} {
// CHECK-NEXT:    %in0 = hls.port "in0" "in" {shape = array<i64: 4, 4, 2>} : !hls.stream<2xi8>
// CHECK-NEXT:    %out0 = hls.port "out0" "out" {shape = array<i64: 1, 1, 3>} : !hls.stream<1xi8>
// CHECK-NEXT:    hls.weights @conv_w {source = "c.w", element = i8, source_shape = array<i64: 4, 2, 3, 3>, view = array<i64: 1, 1, 2, 2, 1, 2, 3, 3>, permutation = array<i64: 0, 4, 2, 6, 1, 3, 7, 5>, shape = array<i64: 6, 12>, storage = "lutram", pragmas = ["ARRAY_RESHAPE complete dim=2", "BIND_STORAGE type=rom_1p impl=lutram"]}
// CHECK-NEXT:    hls.weights @fc_w {source = "fc.w", element = i8, source_shape = array<i64: 3, 64>, view = array<i64: 3, 1, 16, 4>, permutation = array<i64: 0, 2, 1, 3>, shape = array<i64: 48, 4>}
// CHECK-NEXT:    %conv_win = hls.stream "conv_win" {depth = 2 : i64, tokens = 16 : i64} : !hls.stream<9x2xi8>
// CHECK-NEXT:    %conv_out = hls.stream "conv_out" {depth = 2 : i64, tokens = 32 : i64} : !hls.stream<2xi8>
// CHECK-NEXT:    %fc_in = hls.stream "fc_in" {depth = 2 : i64, tokens = 16 : i64} : !hls.stream<4xi8>
// CHECK-NEXT:    hls.kernel "sliding_window" "conv_swg" ins(%in0 : !hls.stream<2xi8>) outs(%conv_win : !hls.stream<9x2xi8>) {params = {in_t = i8, H = 4 : i64, W = 4 : i64, C = 2 : i64, KH = 3 : i64, KW = 3 : i64, SH = 1 : i64, SW = 1 : i64, PT = 1 : i64, PL = 1 : i64, PB = 1 : i64, PR = 1 : i64, L = 2 : i64, PAD_LOWEST = 0 : i64}, source = "line buffer"}
// CHECK-NEXT:    hls.kernel "conv" "conv" ins(%conv_win : !hls.stream<9x2xi8>) outs(%conv_out : !hls.stream<2xi8>) {params = {{{.*}}rq_t = #dataflow.requant<multiplier = 1, shift = 7, zero_point = 0, min = 0, max = 127, rounding = "half_even">, skip_rq_t = none, side_rq_t = none, {{.*}}act = #dataflow.act<kind = "relu">}, tables = [@conv_w, none], source = "conv"}
// CHECK-NEXT:    hls.kernel "squeeze" "fc_squeeze" ins(%conv_out : !hls.stream<2xi8>) outs(%fc_in : !hls.stream<4xi8>) {params = {T = i8, NUM = 64 : i64, IL = 2 : i64, OL = 4 : i64, GCD = 2 : i64}}
// CHECK-NEXT:    hls.kernel "linear" "fc" ins(%fc_in : !hls.stream<4xi8>) outs(%out0 : !hls.stream<1xi8>) {params = {in_t = i8, out_t = i8, acc_t = i22, epi_t = i64, wt_t = i8, rq_t = none, NIN = 64 : i64, NOUT = 3 : i64, CI = 4 : i64, CO = 1 : i64, PACK = 0 : i64, WB = 1 : i64, BB = 4 : i64, act = none}, tables = [@fc_w, none]}
// CHECK-NEXT:  }
// GENERIC-LABEL: "hls.design"() <{sym_name = "block", part = "xck26-sfvc784-2LV-c", clock_mhz = 2.500000e+02 : f64, board = "kv260", pragmas = ["DATAFLOW", "INTERFACE ap_ctrl_chain port=return"]}> ({
// GENERIC: "hls.port"() <{port_name = "in0", direction = "in", shape = array<i64: 4, 4, 2>, interface = "axis"}> : () -> !hls.stream<2xi8>
// GENERIC: "hls.stream"() <{stream_name = "conv_win", depth = 2 : i64, tokens = 16 : i64}> : () -> !hls.stream<9x2xi8>
// GENERIC: "hls.kernel"(%{{.*}}, %{{.*}}) <{kernel = "sliding_window", instance = "conv_swg", {{.*}}operandSegmentSizes = array<i32: 1, 1>{{.*}}}> : (!hls.stream<2xi8>, !hls.stream<9x2xi8>) -> ()
hls.design @block attributes {part = "xck26-sfvc784-2LV-c", clock_mhz = 250.0 : f64, board = "kv260", pragmas = ["DATAFLOW", "INTERFACE ap_ctrl_chain port=return"]} {
  %in0 = hls.port "in0" "in" {shape = array<i64: 4, 4, 2>} : !hls.stream<2xi8>
  %out0 = hls.port "out0" "out" {shape = array<i64: 1, 1, 3>} : !hls.stream<1xi8>
  hls.weights @conv_w {source = "c.w", element = i8, source_shape = array<i64: 4, 2, 3, 3>, view = array<i64: 1, 1, 2, 2, 1, 2, 3, 3>, permutation = array<i64: 0, 4, 2, 6, 1, 3, 7, 5>, shape = array<i64: 6, 12>, storage = "lutram", pragmas = ["ARRAY_RESHAPE complete dim=2", "BIND_STORAGE type=rom_1p impl=lutram"]}
  hls.weights @fc_w {source = "fc.w", element = i8, source_shape = array<i64: 3, 64>, view = array<i64: 3, 1, 16, 4>, permutation = array<i64: 0, 2, 1, 3>, shape = array<i64: 48, 4>}
  %conv_win = hls.stream "conv_win" {depth = 2 : i64, tokens = 16 : i64} : !hls.stream<9x2xi8>
  %conv_out = hls.stream "conv_out" {depth = 2 : i64, tokens = 32 : i64} : !hls.stream<2xi8>
  %fc_in = hls.stream "fc_in" {depth = 2 : i64, tokens = 16 : i64} : !hls.stream<4xi8>
  hls.kernel "sliding_window" "conv_swg" ins(%in0 : !hls.stream<2xi8>) outs(%conv_win : !hls.stream<9x2xi8>) {params = {in_t = i8, H = 4 : i64, W = 4 : i64, C = 2 : i64, KH = 3 : i64, KW = 3 : i64, SH = 1 : i64, SW = 1 : i64, PT = 1 : i64, PL = 1 : i64, PB = 1 : i64, PR = 1 : i64, L = 2 : i64, PAD_LOWEST = 0 : i64}, source = "line buffer"}
  hls.kernel "conv" "conv" ins(%conv_win : !hls.stream<9x2xi8>) outs(%conv_out : !hls.stream<2xi8>) {params = {in_t = i8, out_t = i8, acc_t = i20, epi_t = i64, skip_t = i8, side_t = i8, side_acc_t = i64, rq_t = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, skip_rq_t = none, side_rq_t = none, OH = 4 : i64, OW = 4 : i64, KP = 9 : i64, CENTRE = 4 : i64, GROUPS = 1 : i64, CG = 1 : i64, CIN_G = 2 : i64, CI = 2 : i64, COUT_G = 4 : i64, CO = 2 : i64, FINE = 3 : i64, wt_t = i8, sum_t = i20, PL = 2 : i64, R = 1 : i64, PACK = 7 : i64, WB = 1 : i64, BB = 4 : i64, HAS_SKIP = 0 : i64, ACC_MULT = 1 : i64, SKIP_MULT = 1 : i64, SIDE = 0 : i64, C_SIDE = 0 : i64, act = #dataflow.act<kind = "relu">}, tables = [@conv_w, none], source = "conv"}
  hls.kernel "squeeze" "fc_squeeze" ins(%conv_out : !hls.stream<2xi8>) outs(%fc_in : !hls.stream<4xi8>) {params = {T = i8, NUM = 64 : i64, IL = 2 : i64, OL = 4 : i64, GCD = 2 : i64}}
  hls.kernel "linear" "fc" ins(%fc_in : !hls.stream<4xi8>) outs(%out0 : !hls.stream<1xi8>) {params = {in_t = i8, out_t = i8, acc_t = i22, epi_t = i64, wt_t = i8, rq_t = none, NIN = 64 : i64, NOUT = 3 : i64, CI = 4 : i64, CO = 1 : i64, PACK = 0 : i64, WB = 1 : i64, BB = 4 : i64, act = none}, tables = [@fc_w, none]}
}

// -----
// A fork with three outputs, a residual add and a float stream type.
// CHECK-LABEL: hls.design @plumbing
// CHECK:         hls.kernel "fork" "split" ins(%x : !hls.stream<4xf32>) outs(%a, %b, %c : !hls.stream<4xf32>, !hls.stream<4xf32>, !hls.stream<4xf32>) {params = {N = 8 : i64}}
// CHECK-NEXT:    hls.kernel "add" "sum" ins(%a, %b : !hls.stream<4xf32>, !hls.stream<4xf32>) outs(%y : !hls.stream<4xf32>)
// CHECK-NEXT:    hls.kernel "activation" "act" ins(%c : !hls.stream<4xf32>) outs(%z : !hls.stream<4xf32>) {params = {in_t = f32, epi_t = f32, N = 8 : i64, L = 4 : i64, act = #dataflow.act<kind = "leaky_relu", alpha = 0.1>}}
hls.design @plumbing attributes {part = "xczu9eg-ffvb1156-2-e", clock_mhz = 200.0 : f64, board = "zcu102", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "in" {shape = array<i64: 2, 2, 8>} : !hls.stream<4xf32>
  %y = hls.port "y" "out" {shape = array<i64: 2, 2, 8>} : !hls.stream<4xf32>
  %z = hls.port "z" "out" {shape = array<i64: 2, 2, 8>} : !hls.stream<4xf32>
  %a = hls.stream "a" {depth = 2 : i64, tokens = 8 : i64} : !hls.stream<4xf32>
  %b = hls.stream "b" {depth = 32 : i64, tokens = 8 : i64} : !hls.stream<4xf32>
  %c = hls.stream "c" {depth = 2 : i64, tokens = 8 : i64} : !hls.stream<4xf32>
  hls.kernel "fork" "split" ins(%x : !hls.stream<4xf32>) outs(%a, %b, %c : !hls.stream<4xf32>, !hls.stream<4xf32>, !hls.stream<4xf32>) {params = {N = 8 : i64}}
  hls.kernel "add" "sum" ins(%a, %b : !hls.stream<4xf32>, !hls.stream<4xf32>) outs(%y : !hls.stream<4xf32>) {params = {lhs_t = f32, rhs_t = f32, out_t = f32, epi_t = f32, rq_t = none, N = 8 : i64, L = 4 : i64, LHS_MULT = 1 : i64, RHS_MULT = 1 : i64, act = none}}
  hls.kernel "activation" "act" ins(%c : !hls.stream<4xf32>) outs(%z : !hls.stream<4xf32>) {params = {in_t = f32, epi_t = f32, N = 8 : i64, L = 4 : i64, act = #dataflow.act<kind = "leaky_relu", alpha = 0.1>}}
}
