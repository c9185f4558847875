// lower-dataflow-to-hls: one chunk per decision the lowering makes.
// RUN: fpga-opt %s --split-input-file -p lower-dataflow-to-hls | filecheck %s
// RUN: fpga-opt %s --split-input-file -p 'lower-dataflow-to-hls{board=zcu102 clock-mhz=150 fifo-depth=4 skip-fifo=none}' | filecheck %s --check-prefix=OPTS

// A folded 3x3 conv: a line buffer feeding 2-lane windows to the multiplier array, whose
// output (3 lanes) is the output port; the weight word holds the coarse_in x coarse_out x fine
// weights one cycle reads; the accumulator is exact (36 products of i8 x i8: 21 bits).
// CHECK-LABEL: vhls.design @conv attributes {part = "xck26-sfvc784-2LV-c", clock_mhz = 2.500000e+02 : f64, board = "kv260", pragmas = ["DATAFLOW", "INTERFACE ap_ctrl_chain port=return"]} {
// CHECK-NEXT:    %in0 = vhls.port "in0" "in" {shape = array<i64: 8, 8, 4>} : !vhls.stream<2xi8>
// CHECK-NEXT:    %out0 = vhls.port "out0" "out" {shape = array<i64: 8, 8, 6>} : !vhls.stream<3xi8>
// CHECK-NEXT:    vhls.weights @conv1_w {source = "c.w", element = i8, source_shape = array<i64: 6, 4, 3, 3>, view = array<i64: 1, 1, 2, 3, 2, 2, 3, 3>, permutation = array<i64: 0, 4, 2, 6, 1, 3, 7, 5>, shape = array<i64: 12, 18>, storage = "lutram", pragmas = ["ARRAY_RESHAPE cyclic factor=18 dim=1", "BIND_STORAGE type=rom_1p impl=lutram"]}
// CHECK-NEXT:    vhls.weights @conv1_b {source = "c.b", element = i32, source_shape = array<i64: 6>, view = array<i64: 1, 1, 2, 3>, permutation = array<i64: 0, 2, 1, 3>, shape = array<i64: 2, 3>
// CHECK-NEXT:    %conv1_win = vhls.stream "conv1_win" {depth = 2 : i64, tokens = 128 : i64} : !vhls.stream<9x2xi8>
// CHECK-NEXT:    vhls.kernel "sliding_window" "conv1_swg" ins(%in0 : !vhls.stream<2xi8>) outs(%conv1_win : !vhls.stream<9x2xi8>) {params = {in_t = i8, H = 8 : i64, W = 8 : i64, C = 4 : i64, KH = 3 : i64, KW = 3 : i64, SH = 1 : i64, SW = 1 : i64, PT = 1 : i64, PL = 1 : i64, PB = 1 : i64, PR = 1 : i64, L = 2 : i64, PAD_LOWEST = 0 : i64, PAD_VALUE = 0 : i64}, source = "line buffer of dataflow.conv 'conv1': 8x8x4xi8 -> 8x8x6xi8"}
// CHECK-NEXT:    vhls.kernel "conv" "conv1" ins(%conv1_win : !vhls.stream<9x2xi8>) outs(%out0 : !vhls.stream<3xi8>) {params = {in_t = i8, out_t = i8, acc_t = i21, epi_t = i64, skip_t = i8, side_t = i8, side_acc_t = i64, rq_t = #dataflow.requant<multiplier = 1, shift = 7, zero_point = 0, min = 0, max = 127, rounding = "half_even">, skip_rq_t = none, side_rq_t = none, OH = 8 : i64, OW = 8 : i64, KP = 9 : i64, CENTRE = 4 : i64, GROUPS = 1 : i64, CG = 1 : i64, CIN_G = 4 : i64, CI = 2 : i64, COUT_G = 6 : i64, CO = 3 : i64, FINE = 3 : i64, TERMS = 0 : i64, wt_t = i8, sum_t = i33, PL = 3 : i64, R = 1 : i64, PACK = 7 : i64, WB = 1 : i64, BB = 4 : i64, HAS_SKIP = 0 : i64, ACC_MULT = 1 : i64, SKIP_MULT = 1 : i64, SIDE = 0 : i64, C_SIDE = 0 : i64, act = none}, tables = [@conv1_w, @conv1_b], source = "dataflow.conv 'conv1': 8x8x4xi8 -> 8x8x6xi8"}
// CHECK-NEXT:  }
// OPTS-LABEL: vhls.design @conv attributes {part = "xczu9eg-ffvb1156-2-e", clock_mhz = 1.500000e+02 : f64, board = "zcu102"
// OPTS:         %conv1_win = vhls.stream "conv1_win" {depth = 4 : i64, tokens = 128 : i64} : !vhls.stream<9x2xi8>
func.func @conv(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x6xi8> {
  %y = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", bias = "c.b", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, coarse_in = 2 : i64, coarse_out = 3 : i64, fine = 3 : i64, layer = "conv1"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x6xi8>
  func.return %y : !dataflow.stream<8x8x6xi8>
}

// -----
// Flattened passes (terms = 11): the kernel gets TERMS, and the weight word holds coarse_out x 11
// weights of the filters' channel-major 4x3x3 windows, padded from 36 to 4 passes x 11 (grid and
// padded), one word per pass.
// CHECK-LABEL: vhls.design @flattened
// CHECK:         vhls.weights @fl_w {grid = array<i64: 1, 8, 36>, padded = array<i64: 1, 8, 44>, source = "fl.w", element = i8, source_shape = array<i64: 8, 4, 3, 3>, view = array<i64: 1, 1, 1, 8, 4, 11>, permutation = array<i64: 0, 2, 4, 1, 3, 5>, shape = array<i64: 4, 88>,
// CHECK:         vhls.kernel "conv" "fl" {{.*}}CI = 4 : i64, COUT_G = 8 : i64, CO = 8 : i64, FINE = 1 : i64, TERMS = 11 : i64,
func.func @flattened(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8> {
  %y = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "fl.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, coarse_in = 4 : i64, coarse_out = 8 : i64, terms = 11 : i64, layer = "fl"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  func.return %y : !dataflow.stream<8x8x8xi8>
}

// -----
// An unpadded 1x1 stride-1 conv needs no line buffer; without a requant it emits the accumulator.
// CHECK-LABEL: vhls.design @pointwise
// CHECK-NOT:     sliding_window
// CHECK:         vhls.kernel "conv" "pw" ins(%in0 : !vhls.stream<4xi8>) outs(%out0 : !vhls.stream<1xi32>) {params = {in_t = i8, out_t = i32, acc_t = i19, {{.*}}rq_t = none, {{.*}}KP = 1 : i64, CENTRE = 0 : i64, {{.*}}}, tables = [@pw_w, none]
func.func @pointwise(%x: !dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x4xi32> {
  %y = dataflow.conv %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "pw.w", weight_type = i8, coarse_in = 4 : i64, layer = "pw"} : (!dataflow.stream<4x4x8xi8>) -> !dataflow.stream<4x4x4xi32>
  func.return %y : !dataflow.stream<4x4x4xi32>
}

// -----
// A reader that wants other lanes than its writer gives gets a squeeze; max pooling pads with -128.
// CHECK-LABEL: vhls.design @lanes
// CHECK:         %rq_out = vhls.stream "rq_out" {depth = 2 : i64, tokens = 32 : i64} : !vhls.stream<3xi8>
// CHECK-NEXT:    %pool_in = vhls.stream "pool_in" {depth = 2 : i64, tokens = 48 : i64} : !vhls.stream<2xi8>
// CHECK:         vhls.kernel "requantize" "rq" ins(%in0 : !vhls.stream<3xi8>) outs(%rq_out : !vhls.stream<3xi8>)
// CHECK-NEXT:    vhls.kernel "squeeze" "pool_squeeze" ins(%rq_out : !vhls.stream<3xi8>) outs(%pool_in : !vhls.stream<2xi8>) {params = {T = i8, NUM = 96 : i64, IL = 3 : i64, OL = 2 : i64, GCD = 1 : i64}, source = "3 -> 2 lanes for pool"}
// CHECK-NEXT:    vhls.kernel "sliding_window" "pool_swg" {{.*}}PAD_LOWEST = 1 : i64, PAD_VALUE = 0 : i64}
// CHECK-NEXT:    vhls.kernel "pool" "pool" ins(%pool_win : !vhls.stream<4x2xi8>) outs(%out0 : !vhls.stream<2xi8>) {params = {in_t = i8, out_t = i8, acc_t = i8, epi_t = i64, rq_t = none, OH = 2 : i64, OW = 2 : i64, C = 6 : i64, L = 2 : i64, KP = 4 : i64, MODE = 0 : i64}
func.func @lanes(%x: !dataflow.stream<4x4x6xi8>) -> !dataflow.stream<2x2x6xi8> {
  %r = dataflow.requantize %x {requant = #dataflow.requant<multiplier = 1, shift = 1>, coarse = 3 : i64, layer = "rq"} : !dataflow.stream<4x4x6xi8> -> !dataflow.stream<4x4x6xi8>
  %p = dataflow.pool %r {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, coarse = 2 : i64, layer = "pool"} : !dataflow.stream<4x4x6xi8> -> !dataflow.stream<2x2x6xi8>
  func.return %p : !dataflow.stream<2x2x6xi8>
}

// -----
// A residual block as imported: the fork's short branch gets a FIFO that holds a whole frame
// (deadlock-free whatever the long branch's latency), unless skip-fifo=none.
// CHECK-LABEL: vhls.design @residual
// CHECK:         %split_0_out = vhls.stream "split_0_out" {depth = 2 : i64, tokens = 256 : i64} : !vhls.stream<1xi8>
// CHECK-NEXT:    %split_1_out = vhls.stream "split_1_out" {sized_for = "join", depth = 256 : i64, tokens = 256 : i64} : !vhls.stream<1xi8>
// CHECK:         vhls.kernel "fork" "split" ins(%in0 : !vhls.stream<1xi8>) outs(%split_0_out, %split_1_out : !vhls.stream<1xi8>, !vhls.stream<1xi8>) {params = {N = 256 : i64}
// CHECK:         vhls.kernel "add" "join" ins(%body_out, %split_1_out : !vhls.stream<1xi8>, !vhls.stream<1xi8>) outs(%out0 : !vhls.stream<1xi8>) {params = {lhs_t = i8, rhs_t = i8, out_t = i8, epi_t = i64, rq_t = #dataflow.requant<{{.*}}>, N = 256 : i64, L = 1 : i64, LHS_MULT = 1 : i64, RHS_MULT = 2 : i64, act = #dataflow.act<kind = "relu">}
// OPTS-LABEL: vhls.design @residual
// OPTS:         %split_1_out = vhls.stream "split_1_out" {depth = 4 : i64, tokens = 256 : i64} : !vhls.stream<1xi8>
func.func @residual(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8> {
  %a, %b = dataflow.fork %x {layer = "split"} : !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8>
  %c = dataflow.conv %a {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, layer = "body"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x4xi8>
  %s = dataflow.add %c, %b {rhs_mult = 2 : i64, requant = #dataflow.requant<multiplier = 1, shift = 1>, activation = #dataflow.act<kind = "relu">, layer = "join"} : !dataflow.stream<8x8x4xi8>, !dataflow.stream<8x8x4xi8> -> !dataflow.stream<8x8x4xi8>
  func.return %s : !dataflow.stream<8x8x4xi8>
}

// -----
// The fused block of the ResNet passes: centre pixels forwarded on a side stream, whose
// dataflow.buffer (44 elements) deepens the stream by 44/2 tokens; the add is in the epilogue.
// CHECK-LABEL: vhls.design @fused_block
// CHECK:         %c0_side_out = vhls.stream "c0_side_out" {explicit_buffer = 1 : i64, depth = 24 : i64, tokens = 32 : i64} : !vhls.stream<2xi8>
// CHECK:         vhls.kernel "conv_fwd" "c0" ins(%c0_win : !vhls.stream<9x2xi8>) outs(%c0_out, %c0_side_out : !vhls.stream<2xi8>, !vhls.stream<2xi8>) {params = {{{.*}}SIDE = 1 : i64, C_SIDE = 4 : i64
// CHECK:         vhls.kernel "conv_skip" "c1" ins(%c1_win, %c0_side_out : !vhls.stream<9x2xi8>, !vhls.stream<2xi8>) outs(%out0 : !vhls.stream<2xi8>) {params = {{{.*}}skip_rq_t = #dataflow.requant<multiplier = 1, shift = 0, zero_point = 0, min = 0, max = 127, rounding = "half_even">, {{.*}}HAS_SKIP = 1 : i64, ACC_MULT = 1 : i64, SKIP_MULT = 1 : i64, SIDE = 0 : i64
func.func @fused_block(%x: !dataflow.stream<4x4x4xi8>) -> !dataflow.stream<4x4x4xi8> {
  %c0, %centre = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c0.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, coarse_in = 2 : i64, coarse_out = 2 : i64, layer = "c0"} : (!dataflow.stream<4x4x4xi8>) -> (!dataflow.stream<4x4x4xi8>, !dataflow.stream<4x4x4xi8>)
  %skip = dataflow.buffer %centre {depth = 44 : i64} : !dataflow.stream<4x4x4xi8> -> !dataflow.stream<4x4x4xi8>
  %y = dataflow.conv %c0, %skip {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c1.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, skip_requant = #dataflow.requant<multiplier = 1, shift = 0, min = 0>, coarse_in = 2 : i64, coarse_out = 2 : i64, layer = "c1"} : (!dataflow.stream<4x4x4xi8>, !dataflow.stream<4x4x4xi8>) -> !dataflow.stream<4x4x4xi8>
  func.return %y : !dataflow.stream<4x4x4xi8>
}

// -----
// A merged 1x1 downsample conv: four tables (weights, bias, side weights, side bias), the side
// weights laid out as coarse_out x coarse_in words.
// CHECK-LABEL: vhls.design @merged
// CHECK:         vhls.weights @m_sw {source = "d.w", element = i8, source_shape = array<i64: 8, 4, 1, 1>, view = array<i64: 4, 2, 2, 2>, permutation = array<i64: 2, 0, 1, 3>, shape = array<i64: 8, 4>
// CHECK:         vhls.kernel "conv_merged" "m" ins(%m_win : !vhls.stream<9x2xi8>) outs(%out0, %out1 : !vhls.stream<2xi8>, !vhls.stream<2xi8>) {params = {{{.*}}side_acc_t = i18, {{.*}}side_rq_t = #dataflow.requant<{{.*}}>, {{.*}}SIDE = 2 : i64, C_SIDE = 8 : i64, act = none}, tables = [@m_w, none, @m_sw, @m_sb]
func.func @merged(%x: !dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8>) {
  %y, %d = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, weights = "m.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, side_weights = "d.w", side_bias = "d.b", side_requant = #dataflow.requant<multiplier = 1, shift = 6>, coarse_in = 2 : i64, coarse_out = 2 : i64, layer = "m"} : (!dataflow.stream<8x8x4xi8>) -> (!dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8>)
  func.return %y, %d : !dataflow.stream<4x4x8xi8>, !dataflow.stream<4x4x8xi8>
}

// -----
// A value read twice gets a fork kernel; a three-way concat is a chain of two-input concats;
// a linear layer's weights are coarse_out x coarse_in words.
// CHECK-LABEL: vhls.design @plumbing
// CHECK:         vhls.weights @fc_w {source = "fc.w", element = i8, source_shape = array<i64: 4, 48>, view = array<i64: 2, 2, 12, 4>, permutation = array<i64: 0, 2, 1, 3>, shape = array<i64: 24, 8>
// CHECK:         vhls.kernel "fork" "in0_fork" ins(%in0 : !vhls.stream<2xi8>) outs(%in0_out0, %in0_out1 : !vhls.stream<2xi8>, !vhls.stream<2xi8>) {params = {N = 8 : i64}, source = "fan-out of in0 (implicit fork)"}
// CHECK:         vhls.kernel "concat" "cat_part1" ins(%in0_out0, %in0_out1 : !vhls.stream<2xi8>, !vhls.stream<2xi8>) outs(%cat_part1_out : !vhls.stream<2xi8>) {params = {T = i8, PIX = 4 : i64, C0 = 4 : i64, C1 = 4 : i64, L = 2 : i64}
// CHECK-NEXT:    vhls.kernel "concat" "cat" ins(%cat_part1_out, %in1 : !vhls.stream<2xi8>, !vhls.stream<2xi8>) outs(%cat_out : !vhls.stream<2xi8>) {params = {T = i8, PIX = 4 : i64, C0 = 8 : i64, C1 = 4 : i64, L = 2 : i64}
// CHECK:         vhls.kernel "linear" "fc" ins(%fc_in : !vhls.stream<4xi8>) outs(%out0 : !vhls.stream<2xi8>) {params = {in_t = i8, out_t = i8, acc_t = i21, epi_t = i64, rq_t = #dataflow.requant<{{.*}}>, NIN = 48 : i64, NOUT = 4 : i64, CI = 4 : i64, CO = 2 : i64, wt_t = i8, PACK = 7 : i64, WB = 1 : i64, BB = 4 : i64, act = none}, tables = [@fc_w, @fc_b]
func.func @plumbing(%x: !dataflow.stream<2x2x4xi8>, %z: !dataflow.stream<2x2x4xi8>) -> !dataflow.stream<1x1x4xi8> {
  %c = dataflow.concat %x, %x, %z {coarse = 2 : i64, layer = "cat"} : (!dataflow.stream<2x2x4xi8>, !dataflow.stream<2x2x4xi8>, !dataflow.stream<2x2x4xi8>) -> !dataflow.stream<2x2x12xi8>
  %y = dataflow.linear %c {weights = "fc.w", bias = "fc.b", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, coarse_in = 4 : i64, coarse_out = 2 : i64, layer = "fc"} : !dataflow.stream<2x2x12xi8> -> !dataflow.stream<1x1x4xi8>
  func.return %y : !dataflow.stream<1x1x4xi8>
}

// -----
// Integer average pooling sums exactly (4x4 window of i8: 13 bits); the module's clock and board
// are used when the pass is not told otherwise.
// CHECK-LABEL: vhls.design @avg attributes {part = "xc7z020clg400-1", clock_mhz = 1.200000e+02 : f64, board = "pynqz2"
// CHECK:         vhls.kernel "global_pool" "gap" {{.*}}params = {in_t = i8, out_t = i8, acc_t = i13, epi_t = i64, rq_t = #dataflow.requant<{{.*}}>, PIX = 16 : i64, C = 4 : i64, L = 4 : i64, MODE = 1 : i64}
builtin.module attributes {dataflow.board = "pynqz2", dataflow.clock_mhz = 120.0 : f64} {
  func.func @avg(%x: !dataflow.stream<4x4x4xi8>) -> !dataflow.stream<1x1x4xi8> {
    %y = dataflow.global_pool %x {mode = "avg", coarse = 4 : i64, requant = #dataflow.requant<multiplier = 1, shift = 4>, layer = "gap"} : !dataflow.stream<4x4x4xi8> -> !dataflow.stream<1x1x4xi8>
    func.return %y : !dataflow.stream<1x1x4xi8>
  }
}

// -----
// Float networks lower to the same kernels with float types.
// CHECK-LABEL: vhls.design @float_net
// CHECK:         vhls.weights @f_b {source = "f.b", element = f32
// CHECK:         vhls.kernel "conv" "f" {{.*}}params = {in_t = f32, out_t = f32, acc_t = f32, epi_t = f32, {{.*}}act = #dataflow.act<kind = "relu6">}
// CHECK:         vhls.kernel "softmax" "sm" ins(%{{.*}} : !vhls.stream<1xf32>) outs(%out0 : !vhls.stream<1xf32>) {params = {in_t = f32, PIX = 1 : i64, C = 12 : i64, L = 1 : i64}
func.func @float_net(%x: !dataflow.stream<2x2x3xf32>) -> !dataflow.stream<1x1x12xf32> {
  %c = dataflow.conv %x {kernel = array<i64: 1, 1>, stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, weights = "f.w", bias = "f.b", weight_type = f32, activation = #dataflow.act<kind = "relu6">, layer = "f"} : (!dataflow.stream<2x2x3xf32>) -> !dataflow.stream<2x2x3xf32>
  %l = dataflow.linear %c {weights = "l.w", weight_type = f32, layer = "l"} : !dataflow.stream<2x2x3xf32> -> !dataflow.stream<1x1x12xf32>
  %s = dataflow.softmax %l {layer = "sm"} : !dataflow.stream<1x1x12xf32> -> !dataflow.stream<1x1x12xf32>
  func.return %s : !dataflow.stream<1x1x12xf32>
}

// -----
// A dilated conv: its window is `dilated_sliding_window` (the line buffer spans the 5x7 extent
// of 3x3 taps two rows and three columns apart) and emits the 9 taps; the MAC kernel is the
// undilated conv's.
// CHECK-LABEL: vhls.design @dilated
// CHECK:         vhls.kernel "dilated_sliding_window" "d_swg" ins(%in0 : !vhls.stream<1xi8>) outs(%d_win : !vhls.stream<9x1xi8>) {params = {in_t = i8, H = 9 : i64, W = 8 : i64, C = 4 : i64, KH = 3 : i64, KW = 3 : i64, SH = 1 : i64, SW = 1 : i64, PT = 2 : i64, PL = 3 : i64, PB = 2 : i64, PR = 3 : i64, L = 1 : i64, PAD_LOWEST = 0 : i64, PAD_VALUE = 0 : i64, DH = 2 : i64, DW = 3 : i64}
// CHECK:         vhls.kernel "conv" "d" ins(%d_win : !vhls.stream<9x1xi8>)
func.func @dilated(%x: !dataflow.stream<9x8x4xi8>) -> !dataflow.stream<9x8x4xi8> {
  %c = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 2, 3, 2, 3>, dilation = array<i64: 2, 3>, weights = "d.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, layer = "d"} : (!dataflow.stream<9x8x4xi8>) -> !dataflow.stream<9x8x4xi8>
  func.return %c : !dataflow.stream<9x8x4xi8>
}

// -----
// Average pooling with exclude_pad: `pool_exclude_pad`, which gets the geometry to count each
// window's real pixels.
// CHECK-LABEL: vhls.design @exclude_pad
// CHECK:         vhls.kernel "sliding_window" "ap_swg"
// CHECK:         vhls.kernel "pool_exclude_pad" "ap" {{.*}}KP = 9 : i64, MODE = 1 : i64, H = 6 : i64, W = 5 : i64, KH = 3 : i64, KW = 3 : i64, SH = 1 : i64, SW = 1 : i64, PT = 1 : i64, PL = 1 : i64}
func.func @exclude_pad(%x: !dataflow.stream<6x5x4xi8>) -> !dataflow.stream<6x5x4xi8> {
  %p = dataflow.pool %x {mode = "avg", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, requant = #dataflow.requant<multiplier = 3, shift = 2>, exclude_pad, layer = "ap"} : !dataflow.stream<6x5x4xi8> -> !dataflow.stream<6x5x4xi8>
  func.return %p : !dataflow.stream<6x5x4xi8>
}

// -----
// With qdq_scales: `pool_exclude_pad_qdq`, the reference's float32 mean (scales, zero points, bounds).
// CHECK-LABEL: vhls.design @exclude_pad_qdq
// CHECK:         vhls.kernel "sliding_window" "apq_swg"
// CHECK:         vhls.kernel "pool_exclude_pad_qdq" "apq" {{.*}}KP = 9 : i64, H = 6 : i64, W = 5 : i64, KH = 3 : i64, KW = 3 : i64, SH = 1 : i64, SW = 1 : i64, PT = 1 : i64, PL = 1 : i64, ZP_IN = 130 : i64, S_IN = 0.13102272152900696 : f64, S_OUT = 0.05000000074505806 : f64, ZP_OUT = 7 : i64, LO = 0 : i64, HI = 255 : i64}
func.func @exclude_pad_qdq(%x: !dataflow.stream<6x5x4xui8>) -> !dataflow.stream<6x5x4xui8> {
  %p = dataflow.pool %x {mode = "avg", kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, requant = #dataflow.requant<multiplier = 3, shift = 2, zero_point = 7, min = 0, max = 255>, exclude_pad, pad_value = 130 : i64, qdq_scales = array<f32: 0.131022722, 0.05>, layer = "apq"} : !dataflow.stream<6x5x4xui8> -> !dataflow.stream<6x5x4xui8>
  func.return %p : !dataflow.stream<6x5x4xui8>
}
