"""SDMFormer co-design flow.

Stages are subpackages: :mod:`sdmf.model` (PyTorch models, data, training,
analyses), :mod:`sdmf.quant` (quantization, integer IR, golden model),
:mod:`sdmf.hw` (hardware generator), :mod:`sdmf.sim` (cocotb/Verilator
testbenches) and :mod:`sdmf.host` (PYNQ runtime).
"""

__version__ = "0.1.0"
