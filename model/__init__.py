"""SDMFormer and its Spikformer baseline in PyTorch."""

from .config import ModelConfig, config_from_name, sdmformer_config, spikformer_config
from .mask import ChannelMask
from .neuron import LIF, lif_multistep
from .registry import create_model
from .transformer import SpikingTransformer

__all__ = [
    "LIF",
    "ChannelMask",
    "ModelConfig",
    "SpikingTransformer",
    "config_from_name",
    "create_model",
    "lif_multistep",
    "sdmformer_config",
    "spikformer_config",
]
