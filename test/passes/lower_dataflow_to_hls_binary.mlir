// lower-dataflow-to-hls on the binarised family (passes/lower_dataflow_to_hls/binary.py): one chunk
// per op, each checking the kernel binary.h gets, its parameters and how its tables are laid out.
// RUN: fpga-opt %s --split-input-file -p lower-dataflow-to-hls | filecheck %s

// FINN's binarised MVAU: 4 XNORs per output lane, 2 lanes. The weight word of one cycle holds
// coarse_out x coarse_in bits (view [NOUT/CO, CO, NIN/CI, CI] -> [NF, SF, CO, CI]); the popcount
// counts up to N = 8 ones (ui4); thresholds sit 2 per word, one word per output fold.
// CHECK-LABEL: vhls.design @xnor_dense
// CHECK-NEXT:    %in0 = vhls.port "in0" "in" {shape = array<i64: 1, 1, 8>} : !vhls.stream<4xui1>
// CHECK-NEXT:    %out0 = vhls.port "out0" "out" {shape = array<i64: 1, 1, 4>} : !vhls.stream<2xui1>
// CHECK-NEXT:    vhls.weights @h_w {source = "h.w", element = ui1, source_shape = array<i64: 4, 8>, view = array<i64: 2, 2, 2, 4>, permutation = array<i64: 0, 2, 1, 3>, shape = array<i64: 4, 8>
// CHECK-NEXT:    vhls.weights @h_t {source = "h.t", element = i32, source_shape = array<i64: 4>, view = array<i64: 2, 2>, permutation = array<i64: 0, 1>, shape = array<i64: 2, 2>
// CHECK-NEXT:    vhls.kernel "xnor_linear" "h" ins(%in0 : !vhls.stream<4xui1>) outs(%out0 : !vhls.stream<2xui1>) {params = {out_t = ui1, cnt_t = ui4, N = 8 : i64, THRESHOLDED = 1 : i64, NIN = 8 : i64, NOUT = 4 : i64, CI = 4 : i64, CO = 2 : i64}, tables = [@h_w, @h_t], source = "dataflow.xnor_linear 'h': 1x1x8xui1 -> 1x1x4xui1"}
// CHECK-NEXT:  }
func.func @xnor_dense(%x: !dataflow.stream<1x1x8xui1>) -> !dataflow.stream<1x1x4xui1> {
  %y = dataflow.xnor_linear %x {weights = "h.w", thresholds = "h.t", coarse_in = 4 : i64, coarse_out = 2 : i64, layer = "h"} : !dataflow.stream<1x1x8xui1> -> !dataflow.stream<1x1x4xui1>
  func.return %y : !dataflow.stream<1x1x4xui1>
}

// -----
// A classifier without thresholds writes its dot product (2p - N, i5 here) and has no threshold
// table; unfolded, one XNOR per cycle: the weights are one bit per word.
// CHECK-LABEL: vhls.design @classifier
// CHECK:         vhls.weights @f_w {{{.*}}view = array<i64: 3, 1, 8, 1>, permutation = array<i64: 0, 2, 1, 3>, shape = array<i64: 24, 1>
// CHECK-NOT:     vhls.weights
// CHECK:         vhls.kernel "xnor_linear" "f" ins(%in0 : !vhls.stream<1xui1>) outs(%out0 : !vhls.stream<1xi5>) {params = {out_t = i5, cnt_t = ui4, N = 8 : i64, THRESHOLDED = 0 : i64, NIN = 8 : i64, NOUT = 3 : i64, CI = 1 : i64, CO = 1 : i64}, tables = [@f_w, none]
func.func @classifier(%x: !dataflow.stream<1x1x8xui1>) -> !dataflow.stream<1x1x3xi5> {
  %y = dataflow.xnor_linear %x {weights = "f.w", layer = "f"} : !dataflow.stream<1x1x8xui1> -> !dataflow.stream<1x1x3xi5>
  func.return %y : !dataflow.stream<1x1x3xi5>
}

// -----
// The input binarisation: an integer input compares in i64 against i32 thresholds, one per channel,
// `coarse` channels per cycle.
// CHECK-LABEL: vhls.design @threshold
// CHECK:         vhls.weights @in_t {source = "in.t", element = i32, source_shape = array<i64: 2>, view = array<i64: 1, 2>, permutation = array<i64: 0, 1>, shape = array<i64: 1, 2>
// CHECK-NEXT:    vhls.kernel "threshold" "in" ins(%in0 : !vhls.stream<2xui5>) outs(%out0 : !vhls.stream<2xui1>) {params = {in_t = ui5, cmp_t = i64, N = 32 : i64, C = 2 : i64, L = 2 : i64}, tables = [@in_t]
func.func @threshold(%x: !dataflow.stream<4x4x2xui5>) -> !dataflow.stream<4x4x2xui1> {
  %y = dataflow.threshold %x {thresholds = "in.t", coarse = 2 : i64, layer = "in"} : !dataflow.stream<4x4x2xui5> -> !dataflow.stream<4x4x2xui1>
  func.return %y : !dataflow.stream<4x4x2xui1>
}

// -----
// A float input compares in f32 against f32 thresholds.
// CHECK-LABEL: vhls.design @float_threshold
// CHECK:         vhls.weights @fin_t {source = "fin.t", element = f32
// CHECK-NEXT:    vhls.kernel "threshold" "fin" ins(%in0 : !vhls.stream<1xf32>) outs(%out0 : !vhls.stream<1xui1>) {params = {in_t = f32, cmp_t = f32, N = 16 : i64, C = 1 : i64, L = 1 : i64}
func.func @float_threshold(%x: !dataflow.stream<4x4x1xf32>) -> !dataflow.stream<4x4x1xui1> {
  %y = dataflow.threshold %x {thresholds = "fin.t", layer = "fin"} : !dataflow.stream<4x4x1xf32> -> !dataflow.stream<4x4x1xui1>
  func.return %y : !dataflow.stream<4x4x1xui1>
}

// -----
// The binarised conv reuses the sliding window (unpadded: PAD_VALUE never read) and conv.h's
// schedule: its weight word holds coarse_out x fine x coarse_in bits, N = 3*3*2 = 18 (ui5).
// CHECK-LABEL: vhls.design @xnor_conv
// CHECK:         vhls.weights @c_w {source = "c.w", element = ui1, source_shape = array<i64: 4, 2, 3, 3>, view = array<i64: 2, 2, 1, 2, 3, 3>, permutation = array<i64: 2, 0, 4, 1, 5, 3>, shape = array<i64: 6, 12>
// CHECK-NEXT:    vhls.weights @c_t {source = "c.t", element = i32, source_shape = array<i64: 4>, view = array<i64: 2, 2>
// CHECK-NEXT:    %c_win = vhls.stream "c_win" {depth = 2 : i64, tokens = 16 : i64} : !vhls.stream<9x2xui1>
// CHECK-NEXT:    vhls.kernel "sliding_window" "c_swg" ins(%in0 : !vhls.stream<2xui1>) outs(%c_win : !vhls.stream<9x2xui1>) {params = {in_t = ui1, H = 6 : i64, W = 6 : i64, C = 2 : i64, KH = 3 : i64, KW = 3 : i64, SH = 1 : i64, SW = 1 : i64, PT = 0 : i64, PL = 0 : i64, PB = 0 : i64, PR = 0 : i64, L = 2 : i64, PAD_LOWEST = 0 : i64, PAD_VALUE = 0 : i64}
// CHECK-NEXT:    vhls.kernel "xnor_conv" "c" ins(%c_win : !vhls.stream<9x2xui1>) outs(%out0 : !vhls.stream<2xui1>) {params = {out_t = ui1, cnt_t = ui5, N = 18 : i64, THRESHOLDED = 1 : i64, OH = 4 : i64, OW = 4 : i64, KP = 9 : i64, CIN = 2 : i64, CI = 2 : i64, COUT = 4 : i64, CO = 2 : i64, FINE = 3 : i64}, tables = [@c_w, @c_t]
func.func @xnor_conv(%x: !dataflow.stream<6x6x2xui1>) -> !dataflow.stream<4x4x4xui1> {
  %y = dataflow.xnor_conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "c.w", thresholds = "c.t", coarse_in = 2 : i64, coarse_out = 2 : i64, fine = 3 : i64, layer = "c"} : !dataflow.stream<6x6x2xui1> -> !dataflow.stream<4x4x4xui1>
  func.return %y : !dataflow.stream<4x4x4xui1>
}

// -----
// A LUT layer: per cycle, coarse_out outputs with all their LUT operators; one word holds their
// K input indices (2 x 3 x 4 = 24 i32) and their 2^K-bit tables (2 x 3 x 16 = 96 bits). The
// popcount counts the M = 3 operators (ui2), not the 8 inputs.
// CHECK-LABEL: vhls.design @lut_dense
// CHECK-NEXT:    %in0 = vhls.port "in0" "in" {shape = array<i64: 1, 1, 8>} : !vhls.stream<8xui1>
// CHECK-NEXT:    %out0 = vhls.port "out0" "out" {shape = array<i64: 1, 1, 4>} : !vhls.stream<2xui1>
// CHECK-NEXT:    vhls.weights @l_idx {source = "l.idx", element = i32, source_shape = array<i64: 4, 3, 4>, view = array<i64: 2, 24>, permutation = array<i64: 0, 1>, shape = array<i64: 2, 24>
// CHECK-NEXT:    vhls.weights @l_tab {source = "l.tab", element = ui1, source_shape = array<i64: 4, 3, 16>, view = array<i64: 2, 96>, permutation = array<i64: 0, 1>, shape = array<i64: 2, 96>
// CHECK-NEXT:    vhls.weights @l_t {source = "l.t", element = i32, source_shape = array<i64: 4>, view = array<i64: 2, 2>
// CHECK-NEXT:    vhls.kernel "lut_linear" "l" ins(%in0 : !vhls.stream<8xui1>) outs(%out0 : !vhls.stream<2xui1>) {params = {out_t = ui1, cnt_t = ui2, N = 3 : i64, THRESHOLDED = 1 : i64, NIN = 8 : i64, NOUT = 4 : i64, CI = 8 : i64, CO = 2 : i64, K = 4 : i64, LUTS = 3 : i64}, tables = [@l_idx, @l_tab, @l_t], source = "dataflow.lut_linear 'l': 1x1x8xui1 -> 1x1x4xui1"}
// CHECK-NEXT:  }
func.func @lut_dense(%x: !dataflow.stream<1x1x8xui1>) -> !dataflow.stream<1x1x4xui1> {
  %y = dataflow.lut_linear %x {k = 4 : i64, luts = 3 : i64, indices = "l.idx", tables = "l.tab", thresholds = "l.t", coarse_in = 8 : i64, coarse_out = 2 : i64, layer = "l"} : !dataflow.stream<1x1x8xui1> -> !dataflow.stream<1x1x4xui1>
  func.return %y : !dataflow.stream<1x1x4xui1>
}

// -----
// A classifier LUT layer, one output per cycle, fed 2 input bits per cycle: its result is 2p - M.
// CHECK-LABEL: vhls.design @lut_classifier
// CHECK:         vhls.weights @lc_tab {{{.*}}element = ui1, source_shape = array<i64: 3, 2, 4>, view = array<i64: 3, 8>, {{.*}}shape = array<i64: 3, 8>
// CHECK-NOT:     vhls.weights
// CHECK:         vhls.kernel "lut_linear" "lc" ins(%in0 : !vhls.stream<2xui1>) outs(%out0 : !vhls.stream<1xi3>) {params = {out_t = i3, cnt_t = ui2, N = 2 : i64, THRESHOLDED = 0 : i64, NIN = 4 : i64, NOUT = 3 : i64, CI = 2 : i64, CO = 1 : i64, K = 2 : i64, LUTS = 2 : i64}, tables = [@lc_idx, @lc_tab, none]
func.func @lut_classifier(%x: !dataflow.stream<1x1x4xui1>) -> !dataflow.stream<1x1x3xi3> {
  %y = dataflow.lut_linear %x {k = 2 : i64, luts = 2 : i64, indices = "lc.idx", tables = "lc.tab", coarse_in = 2 : i64, layer = "lc"} : !dataflow.stream<1x1x4xui1> -> !dataflow.stream<1x1x3xi3>
  func.return %y : !dataflow.stream<1x1x3xi3>
}
