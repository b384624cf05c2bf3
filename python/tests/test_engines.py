"""Tests of python/eplb_lab/engines.py: SGLang recorder dumps (.pt) to eplb-lab load JSON.

The dumps are written here in torch's zip checkpoint layout (``archive/data.pkl``, a pickle whose
tensors are ``torch._utils._rebuild_tensor_v2`` calls on persistent storages
``('storage', torch.<Type>Storage, key, 'cpu', numel)``, raw little-endian ``archive/data/<key>``,
``archive/byteorder``), by the standard library's pickler with stand-in ``torch`` modules, so no
torch is needed; when torch is installed the same dicts are also saved with ``torch.save`` and
read both ways. engines.py is loaded by path: it needs nothing from the eplb_lab package.
"""

import importlib.util
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import types
import unittest
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES_PY = os.path.join(HERE, "..", "eplb_lab", "engines.py")
_spec = importlib.util.spec_from_file_location("eplb_lab_engines", ENGINES_PY)
engines = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(engines)


class FakeTensor:
    """A tensor to save: nested lists of ints and a torch storage type name."""

    def __init__(self, values, storage="IntStorage"):
        self.values = values
        self.storage = storage


def _shape(values):
    shape = []
    while isinstance(values, list):
        shape.append(len(values))
        values = values[0] if values else None
    return shape


def _flat(values):
    if not isinstance(values, list):
        return [values]
    return [x for v in values for x in _flat(v)]


def save_like_torch(obj, path, transpose_first=False):
    """Writes ``obj`` as torch.save's zip format would. ``transpose_first`` stores the first 2-D
    tensor column-major (a non-contiguous stride), as a transposed torch tensor is saved."""
    codes = {"IntStorage": "i", "LongStorage": "q", "FloatStorage": "f", "DoubleStorage": "d"}
    torch_mod = types.ModuleType("torch")
    utils_mod = types.ModuleType("torch._utils")
    storages = {}

    def _rebuild_tensor_v2(*args):  # only its pickled name matters
        raise AssertionError

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils_mod._rebuild_tensor_v2 = _rebuild_tensor_v2
    for name in codes:
        cls = type(name, (), {"__module__": "torch", "__qualname__": name})
        setattr(torch_mod, name, cls)

    class Storage:
        def __init__(self, key, kind, numel):
            self.key, self.kind, self.numel = key, kind, numel

    class TensorProxy:
        def __init__(self, t, column_major):
            self.t, self.column_major = t, column_major

        def __reduce__(self):
            shape = _shape(self.t.values)
            flat = _flat(self.t.values)
            stride = [1] * len(shape)
            for i in range(len(shape) - 2, -1, -1):
                stride[i] = stride[i + 1] * shape[i + 1]
            if self.column_major:
                rows, cols = shape
                flat = [self.t.values[r][c] for c in range(cols) for r in range(rows)]
                stride = [1, rows]
            key = str(len(storages))
            storages[key] = struct.pack(f"<{len(flat)}{codes[self.t.storage]}", *flat)
            storage = Storage(key, getattr(torch_mod, self.t.storage), len(flat))
            return (_rebuild_tensor_v2, (storage, 0, tuple(shape), tuple(stride), False,
                                         __import__("collections").OrderedDict()))

    transposed = [transpose_first]

    def wrap(o):
        if isinstance(o, FakeTensor):
            column_major = transposed[0] and len(_shape(o.values)) == 2
            transposed[0] = transposed[0] and not column_major
            return TensorProxy(o, column_major)
        if isinstance(o, dict):
            return {k: wrap(v) for k, v in o.items()}
        if isinstance(o, list):
            return [wrap(v) for v in o]
        return o

    class Pickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, Storage):
                return ("storage", o.kind, o.key, "cpu", o.numel)
            return None

    saved = {m: sys.modules.get(m) for m in ("torch", "torch._utils")}
    sys.modules["torch"], sys.modules["torch._utils"] = torch_mod, utils_mod
    try:
        buf = io.BytesIO()
        Pickler(buf, protocol=2).dump(wrap(obj))
    finally:
        for m, v in saved.items():
            if v is None:
                sys.modules.pop(m, None)
            else:
                sys.modules[m] = v
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
        for key, raw in storages.items():
            z.writestr(f"archive/data/{key}", raw)


STAT_COUNTS = [  # [steps][layers][experts]
    [[1, 0, 2], [0, 0, 0], [3, 1, 0]],
    [[0, 4, 1], [0, 0, 0], [2, 2, 2]],
]


class SglangDumps(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="eplb-engines-")

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_stat_dump_sums_steps_to_sglang_json(self):
        save_like_torch({"rank": 0, "logical_count": FakeTensor(STAT_COUNTS),
                         "average_utilization_rate_over_window": None}, self.path("stat.pt"))
        doc = engines.convert_sglang_dump([self.path("stat.pt")])
        self.assertEqual(doc, {"logical_count": [[1, 4, 3], [0, 0, 0], [5, 3, 2]]})
        series = engines.convert_sglang_dump([self.path("stat.pt")], series=True)
        self.assertEqual(series, {"load_history": [{"logical_expert_load": s} for s in STAT_COUNTS]})

    def test_two_dimensional_logical_count_and_int64_storage(self):
        save_like_torch({"logical_count": FakeTensor([[7, 8], [9, 10]], "LongStorage")},
                        self.path("old.pt"))
        self.assertEqual(engines.convert_sglang_dump([self.path("old.pt")]),
                         {"logical_count": [[7, 8], [9, 10]]})

    def test_non_contiguous_tensor_follows_its_stride(self):
        save_like_torch({"logical_count": FakeTensor([[1, 2, 3], [4, 5, 6]])}, self.path("t.pt"),
                        transpose_first=True)
        self.assertEqual(engines.load_pt(self.path("t.pt"))["logical_count"].tolist(),
                         [[1, 2, 3], [4, 5, 6]])

    def test_per_token_dumps_fold_physical_counts_and_sum_ranks(self):
        p2l = [[0, 1, 2, 0], [1, 0, 2, 2]]  # 4 slots, 3 logical experts
        for rank, scale in ((0, 1), (1, 10)):
            save_like_torch({
                "records": [
                    {"forward_pass_id": 1, "rank": rank, "input_ids": [1, 2],
                     "global_physical_count": FakeTensor([[scale, 0, 1, 2], [0, 3, 1, 1]])},
                    {"forward_pass_id": 2, "rank": rank, "input_ids": [3],
                     "global_physical_count": FakeTensor([[0, 1, 0, 0], [1, 0, 0, 0]])},
                ],
                "last_physical_to_logical_map": FakeTensor(p2l, "LongStorage"),
            }, self.path(f"detail_{rank}.pt"))
        doc = engines.convert_sglang_dump([self.path("detail_0.pt"), self.path("detail_1.pt")])
        # rank 0: layer 0 e0 = 1+2, e1 = 1, e2 = 1; layer 1 e1 = 0+1, e0 = 3, e2 = 2. rank 1 adds 9
        # to layer 0's slot 0 (expert 0).
        self.assertEqual(doc, {"logical_count": [[3 + 3 + 9, 2, 2], [6, 2, 4]]})

    def test_command_line_writes_json_eplb_reads(self):
        save_like_torch({"logical_count": FakeTensor(STAT_COUNTS)}, self.path("stat.pt"))
        out = self.path("loads.json")
        r = subprocess.run([sys.executable, ENGINES_PY, self.path("stat.pt"), "-o", out],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            self.assertEqual(json.load(f)["logical_count"], [[1, 4, 3], [0, 0, 0], [5, 3, 2]])

    def test_bad_dumps_are_clear_errors(self):
        with open(self.path("text.pt"), "w") as f:
            f.write("not a zip")
        cases = [
            ("text.pt", None, "not a torch zip checkpoint"),
            ("keys.pt", {"something": 1}, "no 'logical_count' (stat mode) nor 'records'"),
            ("neg.pt", {"logical_count": FakeTensor([[1, -2]])}, "logical_count[0][0][1] is -2"),
            ("shape.pt", {"logical_count": FakeTensor([1, 2])}, "has shape (2,), expected 2-D or 3-D"),
            ("empty.pt", {"records": [], "last_physical_to_logical_map": FakeTensor([[0]])},
             "records is empty"),
        ]
        for name, obj, needle in cases:
            if obj is not None:
                save_like_torch(obj, self.path(name))
            with self.assertRaises(engines.EngineDumpError) as ctx:
                engines.convert_sglang_dump([self.path(name)])
            self.assertIn(needle, str(ctx.exception))
            self.assertIn(name, str(ctx.exception))
        # A pickle naming any other class is refused, never executed.
        with zipfile.ZipFile(self.path("evil.pt"), "w") as z:
            z.writestr("archive/data.pkl", pickle.dumps({"x": os.getcwd}, protocol=2))
        with self.assertRaises(engines.EngineDumpError) as ctx:
            engines.load_pt(self.path("evil.pt"))
        self.assertIn("unsupported object", str(ctx.exception))
        r = subprocess.run([sys.executable, ENGINES_PY, self.path("keys.pt"), "-o", self.path("o")],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("engines.py: error:", r.stderr)
        self.assertFalse(os.path.exists(self.path("o")))

    @unittest.skipIf(importlib.util.find_spec("torch") is None, "torch is not installed")
    def test_real_torch_save_reads_the_same_both_ways(self):
        import torch

        torch.save({"rank": 0, "logical_count": torch.tensor(STAT_COUNTS, dtype=torch.int32)},
                   self.path("real.pt"))
        pure = engines.convert_sglang_dump([self.path("real.pt")])
        with_torch = engines.convert_sglang_dump([self.path("real.pt")], use_torch=True)
        self.assertEqual(pure, with_torch)
        self.assertEqual(pure, {"logical_count": [[1, 4, 3], [0, 0, 0], [5, 3, 2]]})


if __name__ == "__main__":
    unittest.main()
