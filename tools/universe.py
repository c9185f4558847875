"""The `xdsl.universe` entry point: lets plain `xdsl-opt` see our dialects and passes."""

from xdsl.universe import Universe

from fpga_opt.dialects import universe_dialects
from fpga_opt.passes import registry

FPGA_OPT_UNIVERSE = Universe(all_dialects=universe_dialects(), all_passes=registry())
