"""The README's "Use it from Python" and "Bring your own Python heuristic" sections work when
pasted: their Python blocks run, their `eplb plan` commands succeed."""
import re
import subprocess
import sys

from conftest import EPLB, ROOT


def section(title):
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else len(text)]


def blocks(text, language):
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def test_use_it_from_python_runs():
    text = section("Use it from Python")
    shell = blocks(text, "sh")
    assert shell == ["PYTHONPATH=build/release/python /usr/bin/python3\n"]
    (code,) = blocks(text, "python")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    shapes, balancedness, names = done.stdout.splitlines()
    assert shapes.startswith("(58, 288) (58, 256,") and shapes.endswith(") (58, 256)")
    assert 0.5 < float(balancedness) <= 1.0
    assert "seed003" in names


def test_bring_your_own_python_heuristic_runs():
    (command,) = blocks(section("Bring your own Python heuristic"), "sh")
    prefix = "build/release/harness/eplb "
    assert command.startswith(prefix)
    args = command.strip()[len(prefix):].split()
    done = subprocess.run([EPLB, *args], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "strategy   python:file=python/examples/deepseek_numpy.py" in done.stdout
    deepseek = subprocess.run([EPLB, *args[:-2], "--strategy", "deepseek"], cwd=ROOT,
                              capture_output=True, text=True)
    metrics = lambda out: out[out.index("\nmetric "):]  # the table, not the zero-layer note
    assert metrics(done.stdout) == metrics(deepseek.stdout)
