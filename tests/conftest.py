"""Test-session setup: a repository-local dataset cache, so CI starts from nothing."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("SDMF_CACHE", str(Path(__file__).resolve().parents[1] / ".cache" / "sdmf"))
os.environ.setdefault("MPLBACKEND", "Agg")
