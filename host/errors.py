"""The errors of the board host: every failure the host can meet ends as one of these."""

from __future__ import annotations


class HostError(RuntimeError):
    """A failure of the host or the device; the message says what and what to do."""


class InputError(HostError, ValueError):
    """Frames the device cannot take (shape, dtype, negative or fractional counts); the
    message names what was expected and what was given."""


class DeviceMismatchError(HostError):
    """The device is not the design of the interface file (ID, interface version, IR
    hash, configuration); the message names both sides."""


class DmaTimeoutError(HostError, TimeoutError):
    """A DMA transfer did not complete in time; the message names the channel."""


class ParamsError(HostError):
    """Runtime-loaded parameters that the device did not accept (or a parameter image
    that does not fit the design); the message names the checksums and the state."""


__all__ = ["DeviceMismatchError", "DmaTimeoutError", "HostError", "InputError", "ParamsError"]
