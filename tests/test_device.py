"""Device choice: one function behind every ``--device`` option."""

from __future__ import annotations

import pytest
import torch

from sdmf.cli.common import CliError
from sdmf.cli.energy import resolve_device
from sdmf.model.device import pick_device


def test_auto_prefers_cuda_only_when_present():
    want = "cuda" if torch.cuda.is_available() else "cpu"
    assert pick_device(None).type == want and pick_device("auto").type == want
    assert pick_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="no CUDA device"):
        pick_device("cuda:0")
    with pytest.raises(CliError, match="--device: device 'cuda'"):
        resolve_device("cuda")
