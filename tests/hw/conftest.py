"""Fixtures shared by the hardware tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ip_bench(tmp_path_factory):
    """The control-interface bench (tests/ip_bench.py): tiny network's sdmf_ip, built once."""
    from ip_bench import prepare

    return prepare(tmp_path_factory.mktemp("ip_bench"))
