"""Instance names of the Vivado block design that a board host looks up.

The RTL backend's Vivado scripts create the accelerator as module reference ``sdmf``
and the AXI DMA as ``dma`` (64-bit streams); the PYNQ overlay's IP dictionary keys
them by these names.
"""

IP_INSTANCE = "sdmf"
DMA_INSTANCE = "dma"
STREAM_BITS = 64
