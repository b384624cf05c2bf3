"""Shared fixtures: the `eplb` binary the module is compared with, and the repository root.

ctest sets EPLB_BINARY, EPLB_SOURCE_DIR and PYTHONPATH (python/CMakeLists.txt); run by hand as
    PYTHONPATH=build/release/python /usr/bin/python3 -m pytest python/tests
from the repository root, the Release build's binary is used.
"""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(os.environ.get("EPLB_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
EPLB = os.environ.get("EPLB_BINARY", str(ROOT / "build/release/harness/eplb"))


@pytest.fixture
def root():
    return ROOT


def run_eplb(*args, cwd=ROOT):
    """`eplb ARGS` -> CompletedProcess (text)."""
    return subprocess.run([EPLB, *map(str, args)], cwd=cwd, capture_output=True, text=True)


def plan_json(tmp_path, workload, topology, strategy="deepseek"):
    """What `eplb plan --out` writes for this workload, topology (R, G, N, P) and strategy."""
    out = tmp_path / "plan.json"
    r, g, n, p = topology
    done = run_eplb("plan", "--workload", workload, "--replicas", r, "--groups", g, "--nodes", n,
                    "--gpus", p, "--strategy", strategy, "--out", out)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def write_wide_csv(path, weight):
    """A load matrix as eplb's wide CSV (layer,e0..eN-1), every double written exactly."""
    lines = ["layer," + ",".join(f"e{e}" for e in range(weight.shape[1]))]
    lines += [f"{l}," + ",".join(repr(float(x)) for x in row) for l, row in enumerate(weight)]
    path.write_text("\n".join(lines) + "\n")
    return path
