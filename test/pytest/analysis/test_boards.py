"""Built-in boards, aliases and board files."""

from pathlib import Path

import pytest

from fpga_opt.backend.target.boards import (
    BOARDS,
    get_board,
    known_boards,
    load_board_file,
    resolve_board,
)
from fpga_opt.backend.target.resources import Resources
from fpga_opt.dialects.errors import FpgaOptError

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "boards" / "my_board.toml"

FULL = """
name = "test-board"
part = "xczu7ev-ffvc1156-2-e"
family = "Zynq UltraScale+"
dsp = 1728
bram18 = 624
uram = 96
lut = 230400
ff = 460800
clock_mhz = 250
bandwidth_gbps = 19.2
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "board.toml"
    path.write_text(text)
    return path


def error_of(path: Path) -> str:
    with pytest.raises(FpgaOptError) as info:
        load_board_file(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    return message


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("kv260", "kv260"),
        ("KV260", "kv260"),
        ("k26", "kv260"),
        ("Kria-KV260", "kv260"),
        ("ultra96", "ultra96v2"),
        ("Ultra96-V2", "ultra96v2"),
        ("ultra96_v2", "ultra96v2"),
        ("pynq-z2", "pynqz2"),
        ("PYNQ-Z2", "pynqz2"),
        ("zcu102", "zcu102"),
        ("ZC706", "zc706"),
        ("alveo-u250", "u250"),
        (" u250 ", "u250"),
    ],
)
def test_aliases(alias, name):
    assert get_board(alias).name == name


def test_builtin_numbers():
    assert known_boards() == ["kv260", "pynqz2", "u250", "ultra96v2", "zc706", "zcu102"]
    kv = get_board("kv260")
    assert kv.resources == Resources(dsp=1248, bram18=288, uram=64, lut=117_120, ff=234_240)
    assert get_board("ultra96v2").resources == Resources(dsp=360, bram18=432, lut=70_560, ff=141_120)
    assert get_board("zcu102").resources == Resources(dsp=2520, bram18=1824, lut=274_080, ff=548_160)
    assert get_board("zc706").resources == Resources(dsp=900, bram18=1090, lut=218_600, ff=437_200)
    assert get_board("pynqz2").resources == Resources(dsp=220, bram18=280, lut=53_200, ff=106_400)
    assert get_board("u250").resources == Resources(dsp=12_288, bram18=5376, uram=1280, lut=1_728_000, ff=3_456_000)
    parts = {b.name: b.part for b in BOARDS.values()}
    assert parts == {
        "kv260": "xck26-sfvc784-2LV-c",
        "ultra96v2": "xczu3eg-sbva484-1-e",
        "zcu102": "xczu9eg-ffvb1156-2-e",
        "zc706": "xc7z045ffg900-2",
        "pynqz2": "xc7z020clg400-1",
        "u250": "xcu250-figd2104-2L-e",
    }


def test_dsp_families():
    for name in ("kv260", "ultra96v2", "zcu102", "u250"):
        board = get_board(name)
        assert board.dsp_type == "DSP48E2" and board.int8_packing and board.multiplier_width == (27, 18)
    for name in ("zc706", "pynqz2"):
        board = get_board(name)
        assert board.dsp_type == "DSP48E1" and not board.int8_packing and board.multiplier_width == (25, 18)
        assert board.family == "zynq-7000"


def test_clocks_and_bandwidth_are_plausible():
    for board in BOARDS.values():
        if board.family == "zynq-7000":
            assert 100 <= board.clock_mhz <= 150
        else:
            assert 200 <= board.clock_mhz <= 300
        assert board.bandwidth_gbps > 0
    assert get_board("u250").bandwidth_gbps == pytest.approx(77.0)


def test_unknown_board_lists_known_ones():
    with pytest.raises(FpgaOptError) as info:
        get_board("zcu999")
    message = str(info.value)
    assert "zcu999" in message
    for name in known_boards():
        assert name in message


def test_load_full_file(tmp_path):
    board = load_board_file(write(tmp_path, FULL))
    assert board.name == "test-board"
    assert board.family == "zynq-ultrascale+"
    assert board.dsp_type == "DSP48E2"
    assert board.clock_mhz == 250.0 and isinstance(board.clock_mhz, float)
    assert board.resources == Resources(dsp=1728, bram18=624, uram=96, lut=230_400, ff=460_800)


def test_example_file_loads():
    board = load_board_file(EXAMPLE)
    assert board.name == "zcu104"
    assert board.part == "xczu7ev-ffvc1156-2-e"
    assert board.uram == 96


def test_base_overrides(tmp_path):
    board = load_board_file(write(tmp_path, 'base = "k26"\nclock_mhz = 300.0\n'))
    assert board.part == "xck26-sfvc784-2LV-c"
    assert board.clock_mhz == 300.0
    assert board.dsp == 1248


def test_resolve_board(tmp_path):
    assert resolve_board("ultra96").name == "ultra96v2"
    assert resolve_board(str(write(tmp_path, FULL))).name == "test-board"


def test_missing_key(tmp_path):
    text = FULL.replace("lut = 230400\n", "")
    message = error_of(write(tmp_path, text))
    assert "missing key 'lut'" in message


def test_wrong_type(tmp_path):
    message = error_of(write(tmp_path, FULL.replace("dsp = 1728", 'dsp = "many"')))
    assert "'dsp'" in message and "integer" in message
    message = error_of(write(tmp_path, FULL.replace("dsp = 1728", "dsp = 17.5")))
    assert "'dsp'" in message and "integer" in message
    message = error_of(write(tmp_path, FULL.replace("dsp = 1728", "dsp = true")))
    assert "'dsp'" in message
    message = error_of(write(tmp_path, FULL.replace("clock_mhz = 250", 'clock_mhz = "fast"')))
    assert "'clock_mhz'" in message and "number" in message
    message = error_of(write(tmp_path, FULL.replace('name = "test-board"', "name = 3")))
    assert "'name'" in message and "string" in message


def test_negative_and_zero(tmp_path):
    message = error_of(write(tmp_path, FULL.replace("uram = 96", "uram = -1")))
    assert "key 'uram' = -1 is outside the sane range 0 to 20,000 (288 Kb UltraRAMs)" in message
    message = error_of(write(tmp_path, FULL.replace("clock_mhz = 250", "clock_mhz = 0")))
    assert "key 'clock_mhz' = 0 is outside the sane range 1 to 2,000 (MHz)" in message


def test_corrupt_file(tmp_path):
    message = error_of(write(tmp_path, 'name = "x"\ndsp = = 3\n'))
    assert "not valid TOML" in message
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert "not valid TOML" in error_of(path)


def test_unreadable_file(tmp_path):
    message = error_of(tmp_path / "missing.toml")
    assert "cannot read" in message


def test_unknown_key_family_and_base(tmp_path):
    message = error_of(write(tmp_path, FULL + "bram = 5\n"))
    assert "unknown key 'bram'" in message
    message = error_of(write(tmp_path, FULL.replace('"Zynq UltraScale+"', '"versal"')))
    assert "'family'" in message and "versal" in message
    message = error_of(write(tmp_path, FULL.replace('"Zynq UltraScale+"', '"zynq-7000"')))
    assert "'uram'" in message and "UltraRAM" in message
    message = error_of(write(tmp_path, 'base = "nosuchboard"\n'))
    assert "'base'" in message and "nosuchboard" in message
