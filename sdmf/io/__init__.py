"""Small I/O helpers shared by every stage."""

from .atomic import atomic_write, replace_dir, write_json, write_text
from .workspace import workspace

__all__ = ["atomic_write", "replace_dir", "workspace", "write_json", "write_text"]
