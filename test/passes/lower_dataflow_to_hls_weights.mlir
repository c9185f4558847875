// lower-dataflow-to-hls for off-chip weights (passes/lower_dataflow_to_hls/weights.py): a layer whose weights
// are streamed or generated reads them from a stream of its words, written by a dram_read or an
// ovsf_generate kernel (backend/hls/include/fpga_opt/weights.h); the provider op itself lowers to nothing.
// RUN: fpga-opt %s --split-input-file --verify-diagnostics -p lower-dataflow-to-hls | filecheck %s

// A streamed 3x3 conv: its table (72 words of 2x2 weights, the order the MAC array reads them) is an
// m_axi table (storage = "dram", no ROM pragmas); dram_read sweeps it once per output pixel (READS =
// 4x4 = 16), so the word stream carries 72 x 16 = 1152 words per frame into the conv, which reads its
// weights from the stream (streamed_weights, no on-chip table).
// CHECK-LABEL: vhls.design @streamed
// CHECK:      vhls.weights @c_w_dram {source = "c.w", element = i8, source_shape = array<i64: 8, 4, 3, 3>, {{.*}}shape = array<i64: 72, 4>, storage = "dram"}
// CHECK-NOT:  BIND_STORAGE
// CHECK:      %c_w_words = vhls.stream "c_w_words" {depth = 2 : i64, tokens = 1152 : i64} : !vhls.stream<4xi8>
// CHECK:      vhls.kernel "dram_read" "c_w_read" ins(:) outs(%c_w_words : !vhls.stream<4xi8>) {params = {T = i8, WORDS = 72 : i64, LANES = 4 : i64, READS = 16 : i64}, tables = [@c_w_dram], source = "dataflow.weight_stream 'c.dram'"}
// CHECK-NEXT: vhls.kernel "conv" "c" ins(%c_win, %c_w_words : {{.*}}) {streamed_weights, {{.*}}tables = [none, none]
func.func @streamed(%x: !dataflow.stream<4x4x4xi8>) -> !dataflow.stream<4x4x8xi8> {
  dataflow.weight_stream {weights = "c.w", weight_type = i8, reads = 16 : i64, bytes_per_cycle = 8.0 : f64, layer = "c.dram"}
  %y = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, coarse_in = 2 : i64, coarse_out = 2 : i64, layer = "c", weight_placement = "dram"} : (!dataflow.stream<4x4x4xi8>) -> !dataflow.stream<4x4x8xi8>
  func.return %y : !dataflow.stream<4x4x8xi8>
}

// -----

// A generated 3x3 conv at ratio 0.25: blocks of one filter's 3x3 slice over 1 channel (L0 = 9, padded to
// L = 16 codes), 8 x 4 = 32 block rows of K = round(0.25 x 16) = 4 kept codes; the coefficient table holds
// 8-bit coefficients, the code table 5-bit indices (0..15); both on chip (no storage = "dram").  SHIFT is e,
// the smallest shift with 2^7 x 9 / 2^e <= 127 (e = 4), LOG_L = 4.
// CHECK-LABEL: vhls.design @generated
// CHECK:      vhls.weights @c_w_coefficients {fpga_opt.ovsf = {part = "coefficients", block = 1 : i64, ratio = 2.500000e-01 : f64, coef_bits = 8 : i64, weight_bits = 8 : i64}, source = "c.w", element = i8, source_shape = array<i64: 32, 4>, view = array<i64: 32, 4>, permutation = array<i64: 0, 1>, shape = array<i64: 32, 4>}
// CHECK-NEXT: vhls.weights @c_w_codes {fpga_opt.ovsf = {part = "codes", {{.*}}}, source = "c.w", element = i5, {{.*}}shape = array<i64: 32, 4>}
// CHECK:      vhls.kernel "ovsf_generate" "c_w_gen" ins(:) outs(%c_w_words : !vhls.stream<4xi8>) {params = {T = i8, WORDS = 72 : i64, LANES = 4 : i64, READS = 16 : i64, NDIM = 8 : i64, {{.*}}CIN = 4 : i64, KP = 9 : i64, BLOCK = 1 : i64, K = 4 : i64, LOG_L = 4 : i64, SHIFT = 4 : i64, LO = -128 : i64, HI = 127 : i64}, tables = [@c_w_coefficients, @c_w_codes], source = "dataflow.weights_generator 'c.gen'"}
// CHECK-NEXT: vhls.kernel "conv" "c" ins(%c_win, %c_w_words : {{.*}}) {streamed_weights,
func.func @generated(%x: !dataflow.stream<4x4x4xi8>) -> !dataflow.stream<4x4x8xi8> {
  dataflow.weights_generator {weights = "c.w.ovsf", source = "c.w", weight_type = i8, ratio = 0.25 : f64, block = 1 : i64, layer = "c.gen"}
  %y = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w.ovsf", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7, min = 0>, coarse_in = 2 : i64, coarse_out = 2 : i64, layer = "c", weight_placement = "generated"} : (!dataflow.stream<4x4x4xi8>) -> !dataflow.stream<4x4x8xi8>
  func.return %y : !dataflow.stream<4x4x8xi8>
}

// -----

// A generated linear with its coefficients in DRAM (unzipFPGA's engine): 16-value blocks (10 x 64 / 16 = 40
// rows), K = round(0.125 x 16) = 2 codes each; both tables are m_axi (storage = "dram"); e = 5
// (2^7 x 16 / 2^5 = 64 <= 127); a linear reads its weights once per frame (READS = 1).
// CHECK-LABEL: vhls.design @coefficients_in_dram
// CHECK:      vhls.weights @fc_w_coefficients {{{.*}}ratio = 1.250000e-01 : f64{{.*}}, source = "fc.w", element = i8, {{.*}}shape = array<i64: 40, 2>, storage = "dram"}
// CHECK-NEXT: vhls.weights @fc_w_codes {{{.*}}}, source = "fc.w", element = i5, {{.*}}shape = array<i64: 40, 2>, storage = "dram"}
// CHECK:      vhls.kernel "ovsf_generate" "fc_w_gen" {{.*}}{params = {T = i8, WORDS = 160 : i64, LANES = 4 : i64, READS = 1 : i64, {{.*}}CIN = 64 : i64, KP = 1 : i64, BLOCK = 16 : i64, K = 2 : i64, LOG_L = 4 : i64, SHIFT = 5 : i64
// CHECK-NEXT: vhls.kernel "linear" "fc" ins(%in0, %fc_w_words : {{.*}}) {streamed_weights,
func.func @coefficients_in_dram(%x: !dataflow.stream<1x1x64xi8>) -> !dataflow.stream<1x1x10xi8> {
  dataflow.weights_generator {weights = "fc.w.ovsf", source = "fc.w", weight_type = i8, ratio = 0.125 : f64, block = 16 : i64, coefficients = "dram", bytes_per_cycle = 4.0 : f64, layer = "fc.gen"}
  %y = dataflow.linear %x {weights = "fc.w.ovsf", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, coarse_in = 4 : i64, layer = "fc", weight_placement = "generated"} : !dataflow.stream<1x1x64xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %y : !dataflow.stream<1x1x10xi8>
}

// -----

// A layer placed off chip with no provider feeding it is refused in one line.
// CHECK: error: dataflow.linear 'fc': its weights are off chip but no provider feeds it
func.func @no_provider(%x: !dataflow.stream<1x1x64xi8>) -> !dataflow.stream<1x1x10xi8> {
  %y = dataflow.linear %x {weights = "fc.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 8>, layer = "fc", weight_placement = "dram"} : !dataflow.stream<1x1x64xi8> -> !dataflow.stream<1x1x10xi8>
  func.return %y : !dataflow.stream<1x1x10xi8>
}
