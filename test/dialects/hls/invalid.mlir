// Each chunk holds one invalid hls construct; the verifier names the op and the problem.
// RUN: fpga-opt %s --split-input-file --verify-diagnostics | filecheck %s

hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  %y = hls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  hls.kernel "transpose" "t" ins(%x : !hls.stream<2xi8>) outs(%y : !hls.stream<2xi8>) {params = {}}
}
// CHECK: error: {{.*}}'hls.kernel' op "t": unknown kernel 'transpose'; known: activation, add, concat,

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  %y = hls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  hls.kernel "requantize" "rq" ins(%x : !hls.stream<2xi8>) outs(%y : !hls.stream<2xi8>) {params = {in_t = i8, out_t = i8, N = 4 : i64, L = 2 : i64}}
}
// CHECK: error: {{.*}}'hls.kernel' op "rq": kernel 'requantize' needs parameter(s) rq_t

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  %y = hls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  hls.kernel "requantize" "rq" ins(%x : !hls.stream<2xi8>) outs(%y : !hls.stream<2xi8>) {params = {in_t = i8, out_t = i8, rq_t = none, N = 4 : i64, L = 2 : i64, COARSE = 2 : i64}}
}
// CHECK: error: {{.*}}'hls.kernel' op "rq": kernel 'requantize' has no parameter(s) COARSE

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  %y = hls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  hls.kernel "requantize" "rq" ins(%x : !hls.stream<2xi8>) outs(%y : !hls.stream<2xi8>) {params = {in_t = i8, out_t = i8, rq_t = 7 : i64, N = 4 : i64, L = 2 : i64}}
}
// CHECK: error: {{.*}}'hls.kernel' op "rq": parameter rq_t must be a #dataflow.requant or none, got 7 : i64

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  %y = hls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  hls.kernel "requantize" "rq" ins(%x : !hls.stream<2xi8>) outs(%y : !hls.stream<2xi8>) {params = {in_t = 4 : i64, out_t = i8, rq_t = none, N = 4 : i64, L = 2 : i64}}
}
// CHECK: error: {{.*}}'hls.kernel' op "rq": parameter in_t must be an integer or float type, got 4 : i64

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  %y = hls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  hls.kernel "add" "sum" ins(%x : !hls.stream<2xi8>) outs(%y : !hls.stream<2xi8>) {params = {}}
}
// CHECK: error: {{.*}}'hls.kernel' op "sum": kernel 'add' reads 2 stream(s) ['lhs', 'rhs'], got 1

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  %y = hls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  hls.kernel "linear" "fc" ins(%x : !hls.stream<2xi8>) outs(%y : !hls.stream<2xi8>) {params = {in_t = i8, out_t = i8, acc_t = i20, epi_t = i64, wt_t = i8, rq_t = none, NIN = 8 : i64, NOUT = 8 : i64, CI = 2 : i64, CO = 2 : i64, PACK = 0 : i64, WB = 1 : i64, BB = 4 : i64, act = none}, tables = [none, none]}
}
// CHECK: error: {{.*}}'hls.kernel' op "fc": table 'weights' is required

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  %y = hls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  hls.kernel "linear" "fc" ins(%x : !hls.stream<2xi8>) outs(%y : !hls.stream<2xi8>) {params = {in_t = i8, out_t = i8, acc_t = i20, epi_t = i64, wt_t = i8, rq_t = none, NIN = 8 : i64, NOUT = 8 : i64, CI = 2 : i64, CO = 2 : i64, PACK = 0 : i64, WB = 1 : i64, BB = 4 : i64, act = none}, tables = [@missing, none]}
}
// CHECK: error: {{.*}}'hls.kernel' op "fc": table 'weights' names @missing, which is not an hls.weights

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  %y = hls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  %s = hls.stream "s" {depth = 2 : i64, tokens = 4 : i64} : !hls.stream<2xi8>
  hls.kernel "fork" "f" ins(%x : !hls.stream<2xi8>) outs(%y : !hls.stream<2xi8>) {params = {N = 4 : i64}}
}
// CHECK: error: {{.*}}'hls.stream' op "s": must be read by 1 kernel(s), is read by 0

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  %y = hls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  %s = hls.stream "s" {depth = 2 : i64, tokens = 4 : i64} : !hls.stream<2xi8>
  hls.kernel "fork" "second" ins(%s : !hls.stream<2xi8>) outs(%y : !hls.stream<2xi8>) {params = {N = 4 : i64}}
  hls.kernel "fork" "first" ins(%x : !hls.stream<2xi8>) outs(%s : !hls.stream<2xi8>) {params = {N = 4 : i64}}
}
// CHECK: error: {{.*}}'hls.stream' op "s": its writer "first" must come before its reader "second" (C simulation runs kernels in order)

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  %y = hls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  hls.kernel "fork" "f" ins(%x : !hls.stream<2xi8>) outs(%y : !hls.stream<2xi8>) {params = {N = 4 : i64}}
  hls.kernel "fork" "g" ins(%x : !hls.stream<2xi8>) outs(%y : !hls.stream<2xi8>) {params = {N = 4 : i64}}
}
// CHECK: error: {{.*}}'hls.port' op "x": must be read by 1 kernel(s), is read by 2

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["PIPELINE"]} {
}
// CHECK: error: {{.*}}'hls.design' op @d: pragmas must include DATAFLOW, got ['PIPELINE']

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  %y = hls.port "x" "out" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
  hls.kernel "fork" "f" ins(%x : !hls.stream<2xi8>) outs(%y : !hls.stream<2xi8>) {params = {N = 4 : i64}}
}
// CHECK: error: {{.*}}'hls.design' op @d: the name 'x' is declared twice

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "inout" {shape = array<i64: 2, 2, 2>} : !hls.stream<2xi8>
}
// CHECK: error: {{.*}}'hls.port' op "x": direction must be 'in' or 'out', got 'inout'

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "in" {shape = array<i64: 2, 2, 3>} : !hls.stream<2xi8>
}
// CHECK: error: {{.*}}'hls.port' op "x": 2 lanes do not divide 3 channels

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = hls.port "x" "in" {shape = array<i64: 2, 2, 2>, interface = "m_axi"} : !hls.stream<2xi8>
}
// CHECK: error: {{.*}}'hls.port' op "x": only interface "axis" is supported, got 'm_axi'

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %s = hls.stream "s" {depth = 0 : i64, tokens = 4 : i64} : !hls.stream<2xi8>
}
// CHECK: error: {{.*}}'hls.stream' op "s": depth must be >= 1, got 0

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %s = hls.stream "conv-out" {depth = 2 : i64, tokens = 4 : i64} : !hls.stream<2xi8>
}
// CHECK: error: {{.*}}'hls.stream' op: stream name 'conv-out' is not a C identifier

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %s = hls.stream "s" {depth = 2 : i64, tokens = 4 : i64} : !hls.stream<2x2x2xi8>
}
// CHECK: error: {{.*}}!hls.stream token shape must be [lanes] or [positions, lanes], got 3 dimensions

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  hls.weights @w {source = "w", element = i8, source_shape = array<i64: 4, 2>, view = array<i64: 4, 2>, permutation = array<i64: 0, 0>, shape = array<i64: 4, 2>}
}
// CHECK: error: {{.*}}'hls.weights' op @w: permutation [0, 0] is not a permutation of the 2 view dimensions

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  hls.weights @w {source = "w", element = i8, source_shape = array<i64: 4, 2>, view = array<i64: 4, 2>, permutation = array<i64: 1, 0>, shape = array<i64: 3, 2>}
}
// CHECK: error: {{.*}}'hls.weights' op @w: source_shape [4, 2], view [4, 2] and shape [3, 2] must hold the same number of values

// -----
hls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  hls.weights @w {source = "w", element = i8, source_shape = array<i64: 4, 2>, view = array<i64: 4, 2>, permutation = array<i64: 1, 0>, shape = array<i64: 2, 4>, storage = "flash"}
}
// CHECK: error: {{.*}}'hls.weights' op @w: storage must be one of auto, lutram, bram, uram, got 'flash'
