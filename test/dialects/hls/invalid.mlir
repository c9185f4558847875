// Each chunk holds one invalid hls construct; the verifier names the op and the problem.
// RUN: fpga-opt %s --split-input-file --verify-diagnostics | filecheck %s

vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  %y = vhls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  vhls.kernel "transpose" "t" ins(%x : !vhls.stream<2xi8>) outs(%y : !vhls.stream<2xi8>) {params = {}}
}
// CHECK: error: {{.*}}'vhls.kernel' op "t": unknown kernel 'transpose'; known: activation, add, concat,

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  %y = vhls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  vhls.kernel "requantize" "rq" ins(%x : !vhls.stream<2xi8>) outs(%y : !vhls.stream<2xi8>) {params = {in_t = i8, out_t = i8, N = 4 : i64, L = 2 : i64}}
}
// CHECK: error: {{.*}}'vhls.kernel' op "rq": kernel 'requantize' needs parameter(s) rq_t

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  %y = vhls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  vhls.kernel "requantize" "rq" ins(%x : !vhls.stream<2xi8>) outs(%y : !vhls.stream<2xi8>) {params = {in_t = i8, out_t = i8, rq_t = none, N = 4 : i64, L = 2 : i64, COARSE = 2 : i64}}
}
// CHECK: error: {{.*}}'vhls.kernel' op "rq": kernel 'requantize' has no parameter(s) COARSE

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  %y = vhls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  vhls.kernel "requantize" "rq" ins(%x : !vhls.stream<2xi8>) outs(%y : !vhls.stream<2xi8>) {params = {in_t = i8, out_t = i8, rq_t = 7 : i64, N = 4 : i64, L = 2 : i64}}
}
// CHECK: error: {{.*}}'vhls.kernel' op "rq": parameter rq_t must be a #dataflow.requant or none, got 7 : i64

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  %y = vhls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  vhls.kernel "requantize" "rq" ins(%x : !vhls.stream<2xi8>) outs(%y : !vhls.stream<2xi8>) {params = {in_t = 4 : i64, out_t = i8, rq_t = none, N = 4 : i64, L = 2 : i64}}
}
// CHECK: error: {{.*}}'vhls.kernel' op "rq": parameter in_t must be an integer or float type, got 4 : i64

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  %y = vhls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  vhls.kernel "add" "sum" ins(%x : !vhls.stream<2xi8>) outs(%y : !vhls.stream<2xi8>) {params = {}}
}
// CHECK: error: {{.*}}'vhls.kernel' op "sum": kernel 'add' reads 2 stream(s) ['lhs', 'rhs'], got 1

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  %y = vhls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  vhls.kernel "linear" "fc" ins(%x : !vhls.stream<2xi8>) outs(%y : !vhls.stream<2xi8>) {params = {in_t = i8, out_t = i8, acc_t = i20, epi_t = i64, wt_t = i8, rq_t = none, NIN = 8 : i64, NOUT = 8 : i64, CI = 2 : i64, CO = 2 : i64, PACK = 0 : i64, WB = 1 : i64, BB = 4 : i64, act = none}, tables = [none, none]}
}
// CHECK: error: {{.*}}'vhls.kernel' op "fc": table 'weights' is required

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  %y = vhls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  vhls.kernel "linear" "fc" ins(%x : !vhls.stream<2xi8>) outs(%y : !vhls.stream<2xi8>) {params = {in_t = i8, out_t = i8, acc_t = i20, epi_t = i64, wt_t = i8, rq_t = none, NIN = 8 : i64, NOUT = 8 : i64, CI = 2 : i64, CO = 2 : i64, PACK = 0 : i64, WB = 1 : i64, BB = 4 : i64, act = none}, tables = [@missing, none]}
}
// CHECK: error: {{.*}}'vhls.kernel' op "fc": table 'weights' names @missing, which is not an vhls.weights

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  %y = vhls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  %s = vhls.stream "s" {depth = 2 : i64, tokens = 4 : i64} : !vhls.stream<2xi8>
  vhls.kernel "fork" "f" ins(%x : !vhls.stream<2xi8>) outs(%y : !vhls.stream<2xi8>) {params = {N = 4 : i64}}
}
// CHECK: error: {{.*}}'vhls.stream' op "s": must be read by 1 kernel(s), is read by 0

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  %y = vhls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  %s = vhls.stream "s" {depth = 2 : i64, tokens = 4 : i64} : !vhls.stream<2xi8>
  vhls.kernel "fork" "second" ins(%s : !vhls.stream<2xi8>) outs(%y : !vhls.stream<2xi8>) {params = {N = 4 : i64}}
  vhls.kernel "fork" "first" ins(%x : !vhls.stream<2xi8>) outs(%s : !vhls.stream<2xi8>) {params = {N = 4 : i64}}
}
// CHECK: error: {{.*}}'vhls.stream' op "s": its writer "first" must come before its reader "second" (C simulation runs kernels in order)

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  %y = vhls.port "y" "out" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  vhls.kernel "fork" "f" ins(%x : !vhls.stream<2xi8>) outs(%y : !vhls.stream<2xi8>) {params = {N = 4 : i64}}
  vhls.kernel "fork" "g" ins(%x : !vhls.stream<2xi8>) outs(%y : !vhls.stream<2xi8>) {params = {N = 4 : i64}}
}
// CHECK: error: {{.*}}'vhls.port' op "x": must be read by 1 kernel(s), is read by 2

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["PIPELINE"]} {
}
// CHECK: error: {{.*}}'vhls.design' op @d: pragmas must include DATAFLOW, got ['PIPELINE']

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "in" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  %y = vhls.port "x" "out" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
  vhls.kernel "fork" "f" ins(%x : !vhls.stream<2xi8>) outs(%y : !vhls.stream<2xi8>) {params = {N = 4 : i64}}
}
// CHECK: error: {{.*}}'vhls.design' op @d: the name 'x' is declared twice

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "inout" {shape = array<i64: 2, 2, 2>} : !vhls.stream<2xi8>
}
// CHECK: error: {{.*}}'vhls.port' op "x": direction must be 'in' or 'out', got 'inout'

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "in" {shape = array<i64: 2, 2, 3>} : !vhls.stream<2xi8>
}
// CHECK: error: {{.*}}'vhls.port' op "x": 2 lanes do not divide 3 channels

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %x = vhls.port "x" "in" {shape = array<i64: 2, 2, 2>, interface = "m_axi"} : !vhls.stream<2xi8>
}
// CHECK: error: {{.*}}'vhls.port' op "x": only interface "axis" is supported, got 'm_axi'

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %s = vhls.stream "s" {depth = 0 : i64, tokens = 4 : i64} : !vhls.stream<2xi8>
}
// CHECK: error: {{.*}}'vhls.stream' op "s": depth must be >= 1, got 0

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %s = vhls.stream "conv-out" {depth = 2 : i64, tokens = 4 : i64} : !vhls.stream<2xi8>
}
// CHECK: error: {{.*}}'vhls.stream' op: stream name 'conv-out' is not a C identifier

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  %s = vhls.stream "s" {depth = 2 : i64, tokens = 4 : i64} : !vhls.stream<2x2x2xi8>
}
// CHECK: error: {{.*}}!vhls.stream token shape must be [lanes] or [positions, lanes], got 3 dimensions

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  vhls.weights @w {source = "w", element = i8, source_shape = array<i64: 4, 2>, view = array<i64: 4, 2>, permutation = array<i64: 0, 0>, shape = array<i64: 4, 2>}
}
// CHECK: error: {{.*}}'vhls.weights' op @w: permutation [0, 0] is not a permutation of the 2 view dimensions

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  vhls.weights @w {source = "w", element = i8, source_shape = array<i64: 4, 2>, view = array<i64: 4, 2>, permutation = array<i64: 1, 0>, shape = array<i64: 3, 2>}
}
// CHECK: error: {{.*}}'vhls.weights' op @w: source_shape [4, 2], view [4, 2] and shape [3, 2] must hold the same number of values

// -----
vhls.design @d attributes {part = "p", clock_mhz = 200.0 : f64, board = "kv260", pragmas = ["DATAFLOW"]} {
  vhls.weights @w {source = "w", element = i8, source_shape = array<i64: 4, 2>, view = array<i64: 4, 2>, permutation = array<i64: 1, 0>, shape = array<i64: 2, 4>, storage = "flash"}
}
// CHECK: error: {{.*}}'vhls.weights' op @w: storage must be one of auto, lutram, bram, uram, dram, got 'flash'
