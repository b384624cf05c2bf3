"""eplb_lab.rebalance_experts is a drop-in for eplb.py's: the arrays `eplb plan --out` writes,
eplb.py's shapes and dtypes, any 2-D array-like, and the CLI's messages as ValueError."""
import numpy as np
import pytest

import eplb_lab
from conftest import plan_json, run_eplb, write_wide_csv

V3 = (288, 8, 4, 32)


def check_same_as_cli(arrays, doc, layers, experts, replicas):
    phy2log, log2phy, logcnt = arrays
    for a in arrays:
        assert a.dtype == np.int64
    assert phy2log.shape == (layers, replicas)
    assert logcnt.shape == (layers, experts)
    assert log2phy.shape == (layers, experts, int(logcnt.max()))
    assert phy2log.tolist() == doc["phy2log"]
    assert log2phy.tolist() == doc["log2phy"]
    assert logcnt.tolist() == doc["logcnt"]


@pytest.mark.parametrize("workload,strategy", [
    ("v3_decode_in1000out1000", "deepseek"),
    ("v3_prefill_in512", "seed003:policy=global"),
])
def test_recorded_v3_loads_match_eplb_plan(tmp_path, workload, strategy):
    # drop_zero_layers=true: `eplb plan` keeps the 3 all-zero dense rows unless told otherwise.
    spec = f"recorded:name={workload},drop_zero_layers=true"
    weight = eplb_lab.load_workload(spec)["steps"][0]
    doc = plan_json(tmp_path, spec, V3, strategy)
    arrays = eplb_lab.rebalance_experts(weight, *V3, strategy=strategy)
    check_same_as_cli(arrays, doc, 58, 256, 288)


@pytest.mark.parametrize("seed", range(6))
def test_random_instances_match_eplb_plan(tmp_path, seed):
    rng = np.random.default_rng(seed)
    groups, nodes = [(4, 2), (4, 4), (2, 1), (3, 2), (8, 4), (1, 1)][seed]
    experts = 8 * groups if groups > 1 else 12
    gpus = nodes * int(rng.integers(1, 4))
    replicas = gpus * int(np.ceil((experts + rng.integers(0, 9)) / gpus))
    # Small integers give many exact ties; the last instances use heavy-tailed doubles.
    weight = (rng.integers(0, 20, size=(3, experts)).astype(float) if seed < 3
              else rng.pareto(1.2, size=(3, experts)) * 1000)
    topology = (replicas, groups, nodes, gpus)
    doc = plan_json(tmp_path, write_wide_csv(tmp_path / "w.csv", weight), topology, "seed001")
    arrays = eplb_lab.rebalance_experts(weight, *topology, strategy="seed001")
    check_same_as_cli(arrays, doc, 3, experts, replicas)


def test_array_likes_give_the_same_plan():
    weight = np.arange(32, dtype=np.float64).reshape(2, 16) % 7
    want = eplb_lab.rebalance_experts(weight, 24, 4, 2, 8)
    for like in (weight.tolist(), weight.astype(np.int32), np.asfortranarray(weight),
                 weight[:, ::-1][:, ::-1]):
        got = eplb_lab.rebalance_experts(like, 24, 4, 2, 8)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)


def test_torch_tensor_input():
    torch = pytest.importorskip("torch")
    weight = np.random.default_rng(3).random((2, 16)) * 100
    want = eplb_lab.rebalance_experts(weight, 24, 4, 2, 8)
    got = eplb_lab.rebalance_experts(torch.from_numpy(weight), 24, 4, 2, 8)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def cli_error(tmp_path, weight, topology, strategy):
    r, g, n, p = topology
    done = run_eplb("plan", "--workload", write_wide_csv(tmp_path / "w.csv", weight),
                    "--replicas", r, "--groups", g, "--nodes", n, "--gpus", p,
                    "--strategy", strategy)
    assert done.returncode == 2
    return done.stderr.strip().removeprefix("eplb plan: error: ")


@pytest.mark.parametrize("topology,strategy", [
    ((24, 5, 2, 8), "deepseek:policy=hierarchical"),  # experts % groups, forced hierarchical
    ((12, 4, 2, 4), "deepseek"),           # replicas < experts
    ((24, 4, 2, 8), "sead003"),            # unknown strategy: lists the valid ones
    ((24, 4, 2, 8), "seed003:gpu_stpes=2"),
    ((24, 4, 3, 8), "deepseek:policy=hierarchical"),
])
def test_errors_are_value_errors_with_the_cli_message(tmp_path, topology, strategy):
    weight = np.ones((2, 16))
    with pytest.raises(ValueError) as caught:
        eplb_lab.rebalance_experts(weight, *topology, strategy=strategy)
    cli = cli_error(tmp_path, weight, topology, strategy)
    # The `eplb` binary also lists the python: family, which the module has no use for.
    assert str(caught.value) in (cli, cli.removesuffix(", python"))


@pytest.mark.parametrize("weight,needle", [
    (np.ones(16), "2-D"),
    (np.array([[1.0, -2.0]]), "-2"),
    (np.array([[1.0, np.nan]]), "nan"),
    (np.array([["a", "b"]]), "float64"),
])
def test_bad_weights_are_value_errors_naming_weight(weight, needle):
    with pytest.raises(ValueError, match="weight") as caught:
        eplb_lab.rebalance_experts(weight, 2, 1, 1, 1)
    assert needle in str(caught.value)


@pytest.mark.parametrize("strategy", ["deepseek", "seed001:policy=global"])
def test_threads_give_the_same_plan(strategy):
    rng = np.random.default_rng(11)
    weight = rng.integers(0, 1000, size=(13, 64)).astype(np.float64)
    one = eplb_lab.rebalance_experts(weight, 80, 4, 2, 8, strategy=strategy)
    two = eplb_lab.rebalance_experts(weight, 80, 4, 2, 8, strategy=strategy, threads=2)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="threads=0"):
        eplb_lab.rebalance_experts(weight, 80, 4, 2, 8, threads=0)


def test_engines_converter_is_reexported():
    assert callable(eplb_lab.engines.convert_sglang_dump)
