"""DeepSeek's EPLB restated in plain numpy, for the `python:` strategy family's tests and the
`python_strategies` experiment. Written from strategies/COMPOSITION.md (sections 2 and 3), not
from eplb.py: it must give exactly the plans of eplb-lab's `deepseek` strategy.

    python:file=python/examples/deepseek_numpy.py

Every float operation is spelled out in the order the specification fixes (left-to-right sums,
stable descending sorts, lowest index on ties), which is what makes the plans bit-identical.
"""
import numpy as np


def _sum_left_to_right(values):
    total = 0.0
    for v in values:
        total += v
    return total


def _greedy_pack(weights, num_packs):
    """Heaviest item first, to the lightest pack that is not full (lowest index on ties)."""
    n = len(weights)
    cap = n // num_packs
    if cap == 1:
        return np.arange(n), np.zeros(n, dtype=np.int64)
    pack = np.empty(n, dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    load = [0.0] * num_packs
    used = [0] * num_packs
    for i in np.argsort(-weights, kind="stable"):
        best = min((p for p in range(num_packs) if used[p] < cap), key=lambda p: (load[p], p))
        pack[i], rank[i] = best, used[best]
        load[best] += weights[i]
        used[best] += 1
    return pack, rank


def _dhondt(weights, num_slots):
    """One slot per expert, then each extra slot to argmax w/c (column layout)."""
    counts = np.ones(len(weights), dtype=np.int64)
    slots = list(range(len(weights)))
    for _ in range(num_slots - len(weights)):
        j = int(np.argmax(weights / counts))
        slots.append(j)
        counts[j] += 1
    return np.array(slots, dtype=np.int64), counts


def _plan_layer(w, num_replicas, groups, nodes, gpus):
    experts = len(w)
    group_size, groups_per_node = experts // groups, groups // nodes
    experts_per_node, slots_per_node = experts // nodes, num_replicas // nodes
    gpus_per_node, slots_per_gpu = gpus // nodes, num_replicas // gpus

    group_load = np.array([_sum_left_to_right(w[g * group_size:(g + 1) * group_size])
                           for g in range(groups)])
    group_pack, group_rank = _greedy_pack(group_load, nodes)
    mlog = np.array([(group_pack[e // group_size] * groups_per_node + group_rank[e // group_size])
                     * group_size + e % group_size for e in range(experts)])
    mlog2log = np.argsort(mlog)

    phy2log = np.empty(num_replicas, dtype=np.int64)
    logcnt = np.empty(experts, dtype=np.int64)
    for n in range(nodes):
        experts_here = mlog2log[n * experts_per_node:(n + 1) * experts_per_node]
        wm = w[experts_here]
        phy2m, cnt = _dhondt(wm, slots_per_node)
        gpu, rank = _greedy_pack(wm[phy2m] / cnt[phy2m], gpus_per_node)
        phy2log[n * slots_per_node + gpu * slots_per_gpu + rank] = experts_here[phy2m]
        logcnt[experts_here] = cnt
    return phy2log, logcnt


def rebalance_experts(weight, num_replicas, num_groups, num_nodes, num_gpus):
    weight = np.asarray(weight, dtype=np.float64)
    if num_groups % num_nodes != 0:  # eplb.py's global policy: one group, one node
        num_groups, num_nodes = 1, 1
    layers, experts = weight.shape
    phy2log = np.empty((layers, num_replicas), dtype=np.int64)
    logcnt = np.empty((layers, experts), dtype=np.int64)
    for layer in range(layers):
        phy2log[layer], logcnt[layer] = _plan_layer(weight[layer], num_replicas, num_groups,
                                                    num_nodes, num_gpus)
    log2phy = np.full((layers, experts, int(logcnt.max())), -1, dtype=np.int64)
    for layer in range(layers):
        for expert in range(experts):
            slots = np.flatnonzero(phy2log[layer] == expert)
            log2phy[layer, expert, :len(slots)] = slots
    return phy2log, log2phy, logcnt
