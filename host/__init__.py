"""The board host (``sdmf.host``): runs a generated accelerator from Python.

Imports numpy and :mod:`sdmf.device` only; ``pynq`` is imported when the real
platform is opened (:class:`~sdmf.host.platform.PynqPlatform`), never at import time,
and torch never. The same code drives the simulated board (``sdmf.sim.board``).
docs/host.md describes the API, the platform protocol and the fault behaviour.
"""

from .accelerator import DEFAULT_CLOCK_MHZ, Accelerator
from .errors import DeviceMismatchError, DmaTimeoutError, HostError, InputError, ParamsError
from .platform import PynqPlatform
from .result import RunResult

__all__ = ["DEFAULT_CLOCK_MHZ", "Accelerator", "DeviceMismatchError", "DmaTimeoutError",
           "HostError", "InputError", "ParamsError", "PynqPlatform", "RunResult"]
