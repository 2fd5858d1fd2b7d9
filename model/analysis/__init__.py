"""Analyses of trained models: firing-rate hooks, FLOPs and energy, paper figures, throughput."""
