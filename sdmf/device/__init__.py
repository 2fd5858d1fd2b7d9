"""The device interface of a generated SDMFormer accelerator (imports numpy only).

* :mod:`~sdmf.device.regmap` — AXI4-Lite register map, ID and interface version
  (the single owner of every offset and field);
* :mod:`~sdmf.device.words` — element packing: element ``i`` at ``[i·bits +: bits]``;
* :mod:`~sdmf.device.stream` — input samples → AXI4-Stream beats, output beats →
  logits and class;
* :mod:`~sdmf.device.interface` — :class:`DeviceInterface`, the ``interface.json``
  every generated project carries.
* :mod:`~sdmf.device.params` — runtime-loaded parameters: the load stream (chunk
  headers, word beats), its CRC-32 and the parameter set (docs/params.md).
* :mod:`~sdmf.device.blockdesign` — the block design around the IP (cell names, stream
  width, DMA, interrupt wiring, PL clocks), shared by the Vivado scripts and the host.

The RTL generator, the testbenches and the board host all use it; it imports
neither torch nor the generator, so a host reads a project without them.
"""

from .interface import FORMAT, INTERFACE_FILE, DeviceInterface, InterfaceError
from .regmap import ID_VALUE, INTERFACE_VERSION
from .stream import (
    BEAT_BITS,
    FramingError,
    Result,
    beats_per_sample,
    decode_output,
    output_beats,
    pack_input,
    split_output,
    unpack_input,
)

__all__ = [
    "BEAT_BITS", "FORMAT", "ID_VALUE", "INTERFACE_FILE", "INTERFACE_VERSION",
    "DeviceInterface", "FramingError", "InterfaceError", "Result", "beats_per_sample",
    "decode_output", "output_beats", "pack_input", "split_output", "unpack_input",
]
