"""eplb-lab from Python: strategies, validator, metrics and workloads (python/README.md).

    import eplb_lab
    phy2log, log2phy, logcnt = eplb_lab.rebalance_experts(weight, 288, 8, 4, 32, strategy="seed003")
"""
from ._eplb_lab import load_workload, metrics, rebalance_experts, strategies
from . import engines
from .results import read_results

__all__ = ["engines", "load_workload", "metrics", "read_results", "rebalance_experts", "strategies"]
