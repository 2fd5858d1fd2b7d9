"""Code generators for a finished hardware graph (see :mod:`sdmf.hw.backends.base`)."""

from .base import Backend, BackendOutput, GenOptions, backend_names, get_backend, register_backend

__all__ = ["Backend", "BackendOutput", "GenOptions", "backend_names", "get_backend",
           "register_backend"]
