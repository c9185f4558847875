// A board file given to select-folding is the lowering's board too: select-folding records
// dataflow.board_file, and lower-dataflow-to-hls resolves the board from it (it used to look up
// dataflow.board = "zcu104" among the built-in boards and fail with "unknown board 'zcu104'").
// RUN: fpga-opt %s -p 'select-folding{board-file="%examples/boards/my_board.toml"},lower-dataflow-to-hls' | filecheck %s
// RUN: fpga-opt %s -p 'lower-dataflow-to-hls{board-file="%examples/boards/my_board.toml"}' | filecheck %s
// RUN: fpga-opt %s -p 'select-folding{board-file="%examples/boards/my_board.toml"},lower-dataflow-to-hls{clock-mhz=200}' | filecheck %s --check-prefix=CLOCK

// CHECK: vhls.design @net attributes {part = "xczu7ev-ffvc1156-2-e", clock_mhz = 2.500000e+02 : f64, board = "zcu104"
// CLOCK: vhls.design @net attributes {part = "xczu7ev-ffvc1156-2-e", clock_mhz = 2.000000e+02 : f64, board = "zcu104"
func.func @net(%x: !dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8> {
  %y = dataflow.conv %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, weights = "c.w", weight_type = i8, requant = #dataflow.requant<multiplier = 1, shift = 7>, layer = "conv"} : (!dataflow.stream<8x8x4xi8>) -> !dataflow.stream<8x8x8xi8>
  func.return %y : !dataflow.stream<8x8x8xi8>
}
