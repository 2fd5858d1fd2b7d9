"""Small I/O helpers shared by every stage."""

from .atomic import atomic_write, write_json, write_text

__all__ = ["atomic_write", "write_json", "write_text"]
