"""What the host needs from PYNQ, as a protocol, and the real PYNQ platform.

The accelerator (:mod:`sdmf.host.accelerator`) touches the board only through a
:class:`Platform`: it opens an overlay (bitstream + ``.hwh``) and reads its IP
dictionary, reads and writes the IP's registers, allocates DMA buffers, drives the two
channels of the AXI DMA, and reads a clock for its timeouts. :class:`PynqPlatform`
wraps ``pynq`` (imported when it is constructed, never at import time); the simulated
board (``sdmf.sim.board.SimPlatform``) implements the same protocol over the RTL in
Verilator. docs/host.md describes both.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .errors import HostError

PYNQ_NEEDED = ("pynq is needed: run on a PYNQ board image (PYNQ-Z2 or KV260), or use the "
               "simulated board (sdmf run --board sim)")


class Buffer(Protocol):
    """A DMA buffer: a numpy array in physically contiguous memory (``pynq.allocate``).
    Slices are buffers too (their ``physical_address`` is the slice's)."""

    physical_address: int
    nbytes: int

    def __getitem__(self, index: Any) -> Any: ...
    def __setitem__(self, index: Any, value: Any) -> None: ...
    def flush(self) -> None: ...
    def invalidate(self) -> None: ...


class Mmio(Protocol):
    """32-bit register access to one IP's AXI4-Lite window (byte offsets)."""

    def read(self, offset: int) -> int: ...
    def write(self, offset: int, value: int) -> None: ...


class Channel(Protocol):
    """One channel of an AXI DMA in simple mode: one transfer at a time.

    ``transfer`` starts moving ``buffer`` (MM2S: its beats out, ``TLAST`` on the last;
    S2MM: beats in until ``TLAST``); ``idle`` is True once it has finished; ``error``
    is a message while the channel is in an error state (None otherwise);
    ``complete`` ends a finished transfer (S2MM: the buffer is invalidated, so the CPU
    sees what the DMA wrote) and returns the bytes it moved.
    """

    name: str

    def transfer(self, buffer: Buffer) -> None: ...
    @property
    def idle(self) -> bool: ...
    def error(self) -> str | None: ...
    def complete(self) -> int: ...


class Dma(Protocol):
    sendchannel: Channel          # MM2S: memory → the IP's s_axis
    recvchannel: Channel          # S2MM: the IP's m_axis → memory


class Overlay(Protocol):
    """A loaded bitstream: its IP dictionary (name → ``{"type": VLNV, ...}``, as PYNQ
    reads it from the ``.hwh``) and drivers for its instances."""

    ip_dict: Mapping[str, Mapping[str, Any]]

    def mmio(self, name: str) -> Mmio: ...
    def dma(self, name: str) -> Dma: ...


class Platform(Protocol):
    """Everything the host uses of a board; ``now()`` is the clock of its timeouts
    (seconds, monotonic; simulated time on the simulated board)."""

    name: str

    def overlay(self, bitfile: Path) -> Overlay: ...
    def allocate(self, shape: tuple[int, ...], dtype: Any) -> Buffer: ...
    def now(self) -> float: ...


# ---------------------------------------------------------------------- PYNQ


class PynqChannel:
    """A ``pynq.lib.dma`` channel behind :class:`Channel`."""

    def __init__(self, channel: Any, name: str) -> None:
        self._ch = channel
        self.name = name
        self._nbytes = 0

    def transfer(self, buffer: Buffer) -> None:
        self._nbytes = int(buffer.nbytes)
        try:
            self._ch.transfer(buffer)
        except (RuntimeError, ValueError) as e:
            raise HostError(f"DMA {self.name}: {e}") from None

    @property
    def idle(self) -> bool:
        return bool(self._ch.idle)

    def error(self) -> str | None:
        if not getattr(self._ch, "error", False):
            return None
        try:                                   # the channel's DMASR (AXI DMA register map)
            status = f" (DMASR {self._ch._mmio.read(self._ch._offset + 4):#010x})"
        except AttributeError:
            status = ""
        return f"the AXI DMA reports an error{status}"

    def complete(self) -> int:
        try:
            self._ch.wait()                    # idle already: returns at once, invalidates
        except RuntimeError as e:              # the S2MM buffer, raises on DMA errors
            raise HostError(f"DMA {self.name}: {e}") from None
        moved = getattr(self._ch, "transferred", None)
        return self._nbytes if moved is None else int(moved)


class PynqDma:
    def __init__(self, driver: Any) -> None:
        self.sendchannel = PynqChannel(driver.sendchannel, "sendchannel (MM2S)")
        self.recvchannel = PynqChannel(driver.recvchannel, "recvchannel (S2MM)")


class PynqOverlay:
    def __init__(self, pynq: Any, overlay: Any) -> None:
        self._pynq = pynq
        self._ol = overlay
        self.ip_dict = overlay.ip_dict

    def mmio(self, name: str) -> Mmio:
        d = self.ip_dict[name]
        return self._pynq.MMIO(int(d["phys_addr"]), int(d["addr_range"]))

    def dma(self, name: str) -> Dma:
        driver = functools.reduce(getattr, name.split("/"), self._ol)   # hierarchies
        if not hasattr(driver, "sendchannel") or not hasattr(driver, "recvchannel"):
            raise HostError(f"overlay instance {name} has no DMA driver (got "
                            f"{type(driver).__name__}): is pynq.lib.dma available?")
        return PynqDma(driver)


class PynqPlatform:
    """The real board: ``pynq`` is imported here (:class:`HostError` without it)."""

    name = "pynq"

    def __init__(self) -> None:
        try:
            import pynq  # type: ignore[import-not-found]
        except ImportError:
            raise HostError(PYNQ_NEEDED) from None
        self._pynq = pynq

    def overlay(self, bitfile: Path) -> Overlay:
        bitfile = Path(bitfile)
        for path, what in ((bitfile, "bitstream"), (bitfile.with_suffix(".hwh"),
                                                   "hardware handoff (.hwh) beside it")):
            if not path.is_file():
                raise HostError(f"{path}: no such file (the {what})")
        return PynqOverlay(self._pynq, self._pynq.Overlay(str(bitfile)))

    def allocate(self, shape: tuple[int, ...], dtype: Any) -> Buffer:
        return self._pynq.allocate(shape=shape, dtype=np.dtype(dtype))

    def now(self) -> float:
        return time.monotonic()


__all__ = ["PYNQ_NEEDED", "Buffer", "Channel", "Dma", "Mmio", "Overlay", "Platform",
           "PynqPlatform"]
