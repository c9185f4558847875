"""The `xdsl.universe` entry point: lets plain `xdsl-opt` see our dialects and passes."""

from xdsl.universe import Universe

from fpga_opt.dialects import all_dialects
from fpga_opt.passes import registry

FPGA_OPT_UNIVERSE = Universe(all_dialects=all_dialects(), all_passes=registry())
