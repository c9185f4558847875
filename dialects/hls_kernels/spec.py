"""What a templated kernel of the HLS header library takes: the `vhls.kernel` op verifies against it."""

from __future__ import annotations

from dataclasses import dataclass

INT, FLOAT, TYPE, REQUANT, ACT, INTS = "int", "float", "type", "requant", "act", "ints"

ACT_PARAMS = {"act": ACT}


@dataclass(frozen=True)
class KernelSpec:
    """What one templated kernel of the header library takes.

    `ins`/`outs` name the streams it reads and writes, in call order (a
    trailing `*` means one or more); `tables` its constant arrays (a trailing
    `?` marks an optional one, passed as `fpga_opt::no_table()` when absent);
    `params` its template parameters and their kinds.
    """

    header: str
    ins: tuple[str, ...]
    outs: tuple[str, ...]
    tables: tuple[str, ...]
    params: dict[str, str]

    @property
    def variadic_outs(self) -> bool:
        return bool(self.outs) and self.outs[-1].endswith("*")
