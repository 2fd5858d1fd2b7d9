"""Token-level timing: the max-plus recurrence of stream transfers (docs/event-driven.md,
"The overlapped interval").

:mod:`.recurrence` evaluates it, :mod:`.units` states every library unit's handshake
timing over its per-token service times (owned by the kind specs), :mod:`.network`
assembles a generated network and gives each sample's ``done`` cycle.
"""

from .network import (
    SteadyInterval,
    done_cycles,
    host_pass,
    network_timing,
    steady_interval,
    stream_rates,
)
from .recurrence import Network, Recurrence, Sink, Source, TimingError
from .units import (
                    AttentionUnit,
                    ConvUnit,
                    FifoUnit,
                    ForkUnit,
                    HeadUnit,
                    HostSource,
                    JoinUnit,
                    MaxpoolUnit,
                    UnpackUnit,
)

__all__ = ["AttentionUnit", "ConvUnit", "FifoUnit", "ForkUnit", "HeadUnit", "HostSource",
           "JoinUnit", "MaxpoolUnit", "Network", "Recurrence", "Sink", "Source",
           "SteadyInterval", "TimingError", "UnpackUnit", "done_cycles", "host_pass",
           "network_timing", "steady_interval", "stream_rates"]
