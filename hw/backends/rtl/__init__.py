"""The RTL (SystemVerilog) backend; importing it registers ``rtl``."""

from .backend import RtlBackend

__all__ = ["RtlBackend"]
