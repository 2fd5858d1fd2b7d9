"""The Vitis HLS backend (``sdmf hwgen --backend hls``); importing it registers it."""

from .backend import HlsBackend

__all__ = ["HlsBackend"]
