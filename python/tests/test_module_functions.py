"""metrics(), strategies(), load_workload() and read_results() agree with the `eplb` command."""
import json

import numpy as np
import pytest

import eplb_lab
from conftest import ROOT, plan_json, run_eplb

V3 = (288, 8, 4, 32)


def test_metrics_equal_what_eplb_plan_reports(tmp_path):
    # drop_zero_layers=true: `eplb plan` keeps the 3 all-zero dense rows unless told otherwise.
    spec = "recorded:name=v3_decode_in1000out1000,drop_zero_layers=true"
    doc = plan_json(tmp_path, spec, V3, "seed004")
    weight = eplb_lab.load_workload(spec)["steps"][0]
    got = eplb_lab.metrics(weight, np.array(doc["phy2log"]), np.array(doc["logcnt"]), 8, 4, 32)
    for name, value in doc["metrics"].items():
        if name in ("worst_layer", "skipped_zero_layers"):
            continue  # the CLI reports model layer ids (3..60 here), the module row indices
        assert got[name] == value, name
    assert len(got["layers"]) == 58
    worst = got["layers"][got["worst_layer"]]["balancedness"]
    assert worst == got["worst_layer_balancedness"]


def test_metrics_validate_the_placement_first():
    weight = np.ones((1, 4))
    phy2log = np.array([[0, 1, 2, 2]])
    with pytest.raises(ValueError, match="invalid placement.*expert 3"):
        eplb_lab.metrics(weight, phy2log, np.array([[1, 1, 2, 0]]), 1, 1, 2)
    with pytest.raises(ValueError, match="logcnt"):
        eplb_lab.metrics(weight, np.array([[0, 1, 2, 3]]), np.array([[1, 1, 1, 2]]), 1, 1, 2)
    with pytest.raises(ValueError, match="integer"):
        eplb_lab.metrics(weight, np.array([[0.0, 1, 2, 3]]), np.array([[1, 1, 1, 1]]), 1, 1, 2)


def test_strategies_list_the_registry():
    listed = eplb_lab.strategies()
    names = [s["name"] for s in listed]
    assert names[:6] == ["deepseek", "seed000", "seed001", "seed002", "seed003", "seed004"]
    assert "compose" in names
    text = run_eplb("list").stdout
    for s in listed:
        assert f"  {s['name']} " in text
    seed003 = listed[names.index("seed003")]
    gpu_steps = next(p for p in seed003["params"] if p["key"] == "gpu_steps")
    assert gpu_steps["type"] == "int" and gpu_steps["default"] == "2"


def test_load_workload_specs_and_files(tmp_path):
    w = eplb_lab.load_workload("zipf:layers=3,experts=16,steps=2,seed=5")
    assert w["spec"] == "zipf:seed=5,layers=3,experts=16,steps=2"
    assert len(w["steps"]) == 2 and w["steps"][0].shape == (3, 16)
    assert w["steps"][0].dtype == np.float64
    recorded = eplb_lab.load_workload(str(ROOT / "workloads/data/deepseek_v3_sglang/decode_in1000out1000.json"))
    bundled = eplb_lab.load_workload("recorded:name=v3_decode_in1000out1000")
    np.testing.assert_array_equal(recorded["steps"][0], bundled["steps"][0])
    assert any("dropped" in note for note in bundled["notes"])
    with pytest.raises(ValueError, match="no_such_file.csv"):
        eplb_lab.load_workload(str(tmp_path / "no_such_file.csv"))
    with pytest.raises(ValueError, match="exponent"):
        eplb_lab.load_workload("zipf:exponent=-1")


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("results")
    plan = tmp / "plan.json"
    plan.write_text(json.dumps({
        "strategies": ["deepseek", "python:file=no_such_strategy.py"],
        "workloads": ["zipf:layers=2,experts=16"],
        "topologies": [{"replicas": 24, "groups": 4, "nodes": 2, "gpus": 8}],
        "timing": {"warmup": 0, "repeats": 1}}))
    done = run_eplb("run", plan, "--out", tmp / "out", "--no-plots")
    assert done.returncode == 0, done.stderr
    return tmp / "out"


def rows_of(table):
    return table.to_dict("records") if hasattr(table, "to_dict") else table


def test_read_results_types_the_columns(results_dir):
    rows = rows_of(eplb_lab.read_results(results_dir))
    assert [r["strategy"] for r in rows] == ["deepseek", "python:file=no_such_strategy.py"]
    ok, error = rows
    assert ok["status"] == "ok" and 0 < ok["balancedness"] <= 1
    assert isinstance(ok["replicas"], int) and ok["replicas"] == 24
    assert error["status"] == "error" and "no_such_strategy.py" in error["error"]
    assert error["balancedness"] is None or error["balancedness"] != error["balancedness"]
    same = rows_of(eplb_lab.read_results(results_dir / "results.csv"))
    assert same[0]["balancedness"] == ok["balancedness"]


def test_read_results_is_a_dataframe_with_pandas(results_dir):
    pandas = pytest.importorskip("pandas")
    table = eplb_lab.read_results(results_dir)
    assert isinstance(table, pandas.DataFrame)
    assert list(table["strategy"])[0] == "deepseek"


def test_read_results_is_a_list_of_dicts_without_pandas(results_dir, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("pandas hidden by the test")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    table = eplb_lab.read_results(results_dir)
    assert isinstance(table, list) and isinstance(table[0], dict)


def test_read_results_errors_name_the_file(tmp_path):
    with pytest.raises(ValueError, match="results.csv"):
        eplb_lab.read_results(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text('a,b\n1,"2\n')
    with pytest.raises(ValueError, match="bad.csv"):
        eplb_lab.read_results(bad)
