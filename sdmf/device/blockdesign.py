"""The block design around a generated accelerator (imports nothing outside the stdlib
and :mod:`sdmf.device`).

One description shared by the Vivado scripts of both backends (``hw/backends/rtl/scripts.py``
renders it into Tcl) and the board host (it finds the IP and the DMA in the overlay by these
names): the cell instance names, the AXI4-Stream width, the DMA's configuration, the
interrupt wiring into the PS, and the programmable-logic clock of each board.

```
 PS ──GP master──► sdmf/s_axi_control          dma/S_AXI_LITE
 PS ◄─HP slave──── dma/M_AXI_MM2S ─► dma/M_AXIS_MM2S ─► sdmf/s_axis   (input beats, TLAST)
                   dma/M_AXI_S2MM ◄─ dma/S_AXIS_S2MM ◄─ sdmf/m_axis   (result beats, TLAST)
 PS.irq ◄── irq (xlconcat): In0 dma/mm2s_introut, In1 dma/s2mm_introut, In2 sdmf/interrupt
 PS PL clock 0 ─► every clock pin (ap_clk, the DMA's and the interconnects' clocks)
```
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .stream import BEAT_BITS

# ------------------------------------------------------------------ cells
PS_INSTANCE = "ps"             # the Zynq processing system
IP_INSTANCE = "sdmf"           # the accelerator (module reference to the generated sdmf_ip)
DMA_INSTANCE = "dma"           # AXI DMA, simple (register) mode
IRQ_INSTANCE = "irq"           # xlconcat gathering the interrupts into the PS

# the accelerator's bus interfaces and pins (the ports of the generated sdmf_ip)
IP_STREAM_IN = "s_axis"
IP_STREAM_OUT = "m_axis"
IP_CONTROL = "s_axi_control"
IP_INTERRUPT_PIN = "interrupt"
IP_CLOCK = "ap_clk"

# ------------------------------------------------------------------ streams
STREAM_BITS = BEAT_BITS        # both AXI4-Stream channels (input beats, result beats)
DMA_LENGTH_BITS = 26           # the DMA's buffer length register: one transfer < 64 MiB

# the DMA's configuration (Tcl property → value): simple mode, both channels as wide as
# the streams, 16-beat bursts
DMA_CONFIG: dict[str, int] = {
    "c_include_sg": 0,
    "c_sg_length_width": DMA_LENGTH_BITS,
    "c_m_axis_mm2s_tdata_width": STREAM_BITS,
    "c_s_axis_s2mm_tdata_width": STREAM_BITS,
    "c_mm2s_burst_size": 16,
    "c_s2mm_burst_size": 16,
}

# stream connections (source interface → destination interface), cell/interface
STREAM_NETS: tuple[tuple[str, str], ...] = (
    (f"{DMA_INSTANCE}/M_AXIS_MM2S", f"{IP_INSTANCE}/{IP_STREAM_IN}"),    # MM2S: host → IP
    (f"{IP_INSTANCE}/{IP_STREAM_OUT}", f"{DMA_INSTANCE}/S_AXIS_S2MM"),   # S2MM: IP → host
)


@dataclass(frozen=True)
class Interrupt:
    """One interrupt source: input ``line`` of the concat (= its bit in the PS's IRQ
    vector) is driven by ``cell/pin``."""

    line: int
    cell: str
    pin: str

    @property
    def path(self) -> str:
        """``cell/pin``: the name PYNQ gives the interrupt (``pynq.Interrupt(path)``)."""
        return f"{self.cell}/{self.pin}"


INTERRUPTS: tuple[Interrupt, ...] = (
    Interrupt(0, DMA_INSTANCE, "mm2s_introut"),     # input transfer complete
    Interrupt(1, DMA_INSTANCE, "s2mm_introut"),     # result transfer complete
    Interrupt(2, IP_INSTANCE, IP_INTERRUPT_PIN),    # ap_done / ap_ready (ISR)
)
IP_INTERRUPT = INTERRUPTS[2].path                   # "sdmf/interrupt"

# ------------------------------------------------------------------ PL clock
# Default PL clock per board (MHz): the clock the Vivado scripts ask the PS for and every
# img/s figure of a design generated for that board assumes. The xc7z020 (-1 speed grade)
# is not expected to close timing at 250 MHz, so the PYNQ-Z2 runs at PYNQ's usual 100 MHz;
# the KV260's xck26 (-2LV) keeps the 250 MHz the throughput figures were quoted at. Both
# are exact divisions of the PS's 1 GHz IO PLL.
PL_CLOCK_MHZ: dict[str, float] = {"pynq_z2": 100.0, "kv260": 250.0}
DEFAULT_CLOCK_MHZ = 250.0      # a design generated without naming a board
# The PS derives the PL clock from a PLL with integer dividers and picks the nearest
# frequency it can make; the scripts refuse one further than this (relative) from the
# request and record the actual one next to the bitstream.
CLOCK_TOLERANCE = 0.01


def default_clock_mhz(board: str | None = None) -> float:
    """The PL clock of ``board`` (:data:`PL_CLOCK_MHZ`), or :data:`DEFAULT_CLOCK_MHZ`."""
    if board is None:
        return DEFAULT_CLOCK_MHZ
    try:
        return PL_CLOCK_MHZ[board]
    except KeyError:
        raise ValueError(f"unknown board {board!r} (known: {', '.join(PL_CLOCK_MHZ)})") from None


def check_clock_mhz(value: float, name: str = "clock_mhz") -> float:
    """``value`` as a positive, finite frequency in MHz (``ValueError`` naming ``name``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: {value!r} is not a positive frequency in MHz")
    return float(value)


def clock_matches(requested_mhz: float, actual_mhz: float) -> bool:
    """Whether the PS's ``actual_mhz`` is within :data:`CLOCK_TOLERANCE` of the request."""
    return abs(actual_mhz - requested_mhz) <= CLOCK_TOLERANCE * requested_mhz


def dma_max_bytes() -> int:
    """The longest single DMA transfer (the length register's maximum)."""
    return (1 << DMA_LENGTH_BITS) - 1


__all__ = [
    "CLOCK_TOLERANCE", "DEFAULT_CLOCK_MHZ", "DMA_CONFIG", "DMA_INSTANCE", "DMA_LENGTH_BITS",
    "INTERRUPTS", "IP_CLOCK", "IP_CONTROL", "IP_INSTANCE", "IP_INTERRUPT", "IP_INTERRUPT_PIN",
    "IP_STREAM_IN", "IP_STREAM_OUT", "IRQ_INSTANCE", "PL_CLOCK_MHZ", "PS_INSTANCE",
    "STREAM_BITS", "STREAM_NETS", "Interrupt", "check_clock_mhz", "clock_matches",
    "default_clock_mhz", "dma_max_bytes",
]
