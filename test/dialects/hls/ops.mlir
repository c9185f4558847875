// Every hls op round-trips: custom form, and generic form back to custom.
// RUN: fpga-opt %s --split-input-file | filecheck %s
// RUN: fpga-opt %s --split-input-file --print-op-generic | fpga-opt --split-input-file | filecheck %s
// RUN: fpga-opt %s --split-input-file --print-op-generic | filecheck %s --check-prefix=GENERIC
// Plain xdsl-opt reads it too (the dialect is `vhls`: xDSL's own dialect is called `hls`).
// RUN: xdsl-opt %s --split-input-file | filecheck %s

// A conv (line buffer + multiplier array), a lane adapter and a linear layer.
// CHECK-LABEL: vhls.design @block attributes {part = "xck26-sfvc784-2LV-c", clock_mhz = 2.500000e+02 : f64, board = "kv260", pragmas = ["DATAFLOW", "INTERFACE ap_ctrl_chain port=return"]} {
// CHECK-NEXT:    %in0 = vhls.port "in0" "in" {shape = array<i64: 4, 4, 2>} : !vhls.stream<2xi8>
// CHECK-NEXT:    %out0 = vhls.port "out0" "out" {shape = array<i64: 1, 1, 3>} : !vhls.stream<1xi8>
// CHECK-NEXT:    vhls.weights @conv_w {source = "c.w", element = i8, source_shape = array<i64: 4, 2, 3, 3>, view = array<i64: 1, 1, 2, 2, 1, 2, 3, 3>, permutation = array<i64: 0, 4, 2, 6, 1, 3, 7, 5>, shape = array<i64: 6, 12>, storage = "lutram", pragmas = ["ARRAY_RESHAPE complete dim=2", "BIND_STORAGE type=rom_1p impl=lutram"]}
// CHECK-NEXT:    vhls.weights @fc_w {source = "fc.w", element = i8, source_shape = array<i64: 3, 64>, view = array<i64: 3, 1, 16, 4>, permutation = array<i64: 0, 2, 1, 3>, shape = array<i64: 48, 4>}
// CHECK-NEXT:    %conv_win = vhls.stream "conv_win" {depth = 2 : i64, tokens = 16 : i64} : !vhls.stream<9x2xi8>
// CHECK-NEXT:    %conv_out = vhls.stream "conv_out" {depth = 2 : i64, tokens = 32 : i64} : !vhls.stream<2xi8>
// CHECK-NEXT:    %fc_in = vhls.stream "fc_in" {depth = 2 : i64, tokens = 16 : i64} : !vhls.stream<4xi8>
// CHECK-NEXT:    vhls.kernel "sliding_window" "conv_swg" ins(%in0 : !vhls.stream<2xi8>) outs(%conv_win : !vhls.stream<9x2xi8>) {params = {in_t = i8, H = 4 : i64, W = 4 : i64, C = 2 : i64, KH = 3 : i64, KW = 3 : i64, SH = 1 : i64, SW = 1 : i64, PT = 1 : i64, PL = 1 : i64, PB = 1 : i64, PR = 1 : i64, L = 2 : i64, PAD_LOWEST = 0 : i64, PAD_VALUE = 0 : i64}, source = "line buffer"}
// CHECK-NEXT:    vhls.kernel "conv" "conv" ins(%conv_win : !vhls.stream<9x2xi8>) outs(%conv_out : !vhls.stream<2xi8>) {params = {{{.*}}rq_t = #dataflow.requant<multiplier = 1, shift = 7, zero_point = 0, min = 0, max = 127, rounding = "half_even">, skip_rq_t = none, side_rq_t = none, {{.*}}act = #dataflow.act<kind = "relu">}, tables = [@conv_w, none], source = "conv"}
// CHECK-NEXT:    vhls.kernel "squeeze" "fc_squeeze" ins(%conv_out : !vhls.stream<2xi8>) outs(%fc_in : !vhls.stream<4xi8>) {params = {T = i8, NUM = 64 : i64, IL = 2 : i64, OL = 4 : i64, GCD = 2 : i64}}
// CHECK-NEXT:    vhls.kernel "linear" "fc" ins(%fc_in : !vhls.stream<4xi8>) outs(%out0 : !vhls.stream<1xi8>) {params = {in_t = i8, out_t = i8, acc_t = i22, epi_t = i64, wt_t = i8, rq_t = none, NIN = 64 : i64, NOUT = 3 : i64, CI = 4 : i64, CO = 1 : i64, PACK = 0 : i64, WB = 1 : i64, BB = 4 : i64, act = none}, tables = [@fc_w, none]}
// CHECK-NEXT:  }
// GENERIC-LABEL: "vhls.design"() <{sym_name = "block", part = "xck26-sfvc784-2LV-c", clock_mhz = 2.500000e+02 : f64, board = "kv260", pragmas = ["DATAFLOW", "INTERFACE ap_ctrl_chain port=return"]}> ({
// GENERIC: "vhls.port"() <{port_name = "in0", direction = "in", shape = array<i64: 4, 4, 2>, interface = "axis"}> : () -> !vhls.stream<2xi8>
// GENERIC: "vhls.stream"() <{stream_name = "conv_win", depth = 2 : i64, tokens = 16 : i64}> : () -> !vhls.stream<9x2xi8>
// GENERIC: "vhls.kernel"(%{{.*}}, %{{.*}}) <{kernel = "sliding_window", instance = "conv_swg", {{.*}}operandSegmentSizes = array<i32: 1, 1>{{.*}}}> : (!vhls.stream<2xi8>, !vhls.stream<9x2xi8>) -> ()
vhls.design @block attributes {part = "xck26-sfvc784-2LV-c", clock_mhz = 250.0 : f64, board = "kv260", pragmas = ["DATAFLOW", "INTERFACE ap_ctrl_chain port=return"]} {
  %in0 = vhls.port "in0" "in" {shape = array<i64: 4, 4, 2>} : !vhls.stream<2xi8>
  %out0 = vhls.port "out0" "out" {shape = array<i64: 1, 1, 3>} : !vhls.stream<1xi8>
  vhls.weights @conv_w {source = "c.w", element = i8, source_shape = array<i64: 4, 2, 3, 3>, view = array<i64: 1, 1, 2, 2, 1, 2, 3, 3>, permutation = array<i64: 0, 4, 2, 6, 1, 3, 7, 5>, shape = array<i64: 6, 12>, storage = "lutram", pragmas = ["ARRAY_RESHAPE complete dim=2", "BIND_STORAGE type=rom_1p impl=lutram"]}
  vhls.weights @fc_w {source = "fc.w", element = i8, source_shape = array<i64: 3, 64>, view = array<i64: 3, 1, 16, 4>, permutation = array<i64: 0, 2, 1, 3>, shape = array<i64: 48, 4>}
  %conv_win = vhls.stream "conv_win" {depth = 2 : i64, tokens = 16 : i64} : !vhls.stream<9x2xi8>
  %conv_out = vhls.stream "conv_out" {depth = 2 : i64, tokens = 32 : i64} : !vhls.stream<2xi8>
  %fc_in = vhls.stream "fc_in" {depth = 2 : i64, tokens = 16 : i64} : !vhls.stream<4xi8>
  vhls.kernel "sliding_window" "conv_swg" ins(%in0 : !vhls.stream<2xi8>) outs(%conv_win : !vhls.stream<9x2xi8>) {params = {in_t = i8, H = 4 : i64, W = 4 : i64, C = 2 : i64, KH = 3 : i64, KW = 3 : i64, SH = 1 : i64, SW = 1 : i64, PT = 1 : i64, PL = 1 : i64, PB = 1 : i64, PR = 1 : i64, L = 2 : i64, PAD_LOWEST = 0 : i64, PAD_VALUE = 0 : i64}, source = "line buffer"}
  vhls.kernel "conv" "conv" ins(%conv_win : !vhls.stream<9x2xi8>) outs(%conv_out : !vhls.stream<2xi8>) {params = {in_t = i8, out_t = i8, acc_t = i20, epi_t = i64, skip_t = i8, side_t = i8, side_acc_t = i64, rq_t = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, skip_rq_t = none, side_rq_t = none, OH = 4 : i64, OW = 4 : i64, KP = 9 : i64, CENTRE = 4 : i64, GROUPS = 1 : i64, CG = 1 : i64, CIN_G = 2 : i64, CI = 2 : i64, COUT_G = 4 : i64, CO = 2 : i64, FINE = 3 : i64, TERMS = 0 : i64, wt_t = i8, sum_t = i20, PL = 2 : i64, R = 1 : i64, PACK = 7 : i64, WB = 1 : i64, BB = 4 : i64, HAS_SKIP = 0 : i64, ACC_MULT = 1 : i64, SKIP_MULT = 1 : i64, SIDE = 0 : i64, C_SIDE = 0 : i64, act = #dataflow.act<kind = "relu">}, tables = [@conv_w, none], source = "conv"}
  vhls.kernel "squeeze" "fc_squeeze" ins(%conv_out : !vhls.stream<2xi8>) outs(%fc_in : !vhls.stream<4xi8>) {params = {T = i8, NUM = 64 : i64, IL = 2 : i64, OL = 4 : i64, GCD = 2 : i64}}
  vhls.kernel "linear" "fc" ins(%fc_in : !vhls.stream<4xi8>) outs(%out0 : !vhls.stream<1xi8>) {params = {in_t = i8, out_t = i8, acc_t = i22, epi_t = i64, wt_t = i8, rq_t = none, NIN = 64 : i64, NOUT = 3 : i64, CI = 4 : i64, CO = 1 : i64, PACK = 0 : i64, WB = 1 : i64, BB = 4 : i64, act = none}, tables = [@fc_w, none]}
}

// -----
// A fork with three outputs, a residual add and a float stream type.
// CHECK-LABEL: vhls.design @plumbing
// CHECK:         vhls.kernel "fork" "split" ins(%x : !vhls.stream<4xf32>) outs(%a, %b, %c : !vhls.stream<4xf32>, !vhls.stream<4xf32>, !vhls.stream<4xf32>) {params = {N = 8 : i64}}
// CHECK-NEXT:    vhls.kernel "add" "sum" ins(%a, %b : !vhls.stream<4xf32>, !vhls.stream<4xf32>) outs(%y : !vhls.stream<4xf32>)
// CHECK-NEXT:    vhls.kernel "activation" "act" ins(%c : !vhls.stream<4xf32>) outs(%z : !vhls.stream<4xf32>) {params = {in_t = f32, epi_t = f32, N = 8 : i64, L = 4 : i64, act = #dataflow.act<kind = "leaky_relu", alpha = 0.1>}}
vhls.design @plumbing attributes {part = "xczu9eg-ffvb1156-2-e", clock_mhz = 200.0 : f64, board = "zcu102", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "in" {shape = array<i64: 2, 2, 8>} : !vhls.stream<4xf32>
  %y = vhls.port "y" "out" {shape = array<i64: 2, 2, 8>} : !vhls.stream<4xf32>
  %z = vhls.port "z" "out" {shape = array<i64: 2, 2, 8>} : !vhls.stream<4xf32>
  %a = vhls.stream "a" {depth = 2 : i64, tokens = 8 : i64} : !vhls.stream<4xf32>
  %b = vhls.stream "b" {depth = 32 : i64, tokens = 8 : i64} : !vhls.stream<4xf32>
  %c = vhls.stream "c" {depth = 2 : i64, tokens = 8 : i64} : !vhls.stream<4xf32>
  vhls.kernel "fork" "split" ins(%x : !vhls.stream<4xf32>) outs(%a, %b, %c : !vhls.stream<4xf32>, !vhls.stream<4xf32>, !vhls.stream<4xf32>) {params = {N = 8 : i64}}
  vhls.kernel "add" "sum" ins(%a, %b : !vhls.stream<4xf32>, !vhls.stream<4xf32>) outs(%y : !vhls.stream<4xf32>) {params = {lhs_t = f32, rhs_t = f32, out_t = f32, epi_t = f32, rq_t = none, N = 8 : i64, L = 4 : i64, LHS_MULT = 1 : i64, RHS_MULT = 1 : i64, act = none}}
  vhls.kernel "activation" "act" ins(%c : !vhls.stream<4xf32>) outs(%z : !vhls.stream<4xf32>) {params = {in_t = f32, epi_t = f32, N = 8 : i64, L = 4 : i64, act = #dataflow.act<kind = "leaky_relu", alpha = 0.1>}}
}
