"""Engine recordings to the load files eplb-lab reads (pure Python; torch optional).

SGLang's expert-distribution recorder (``/dump_expert_distribution_record``) writes ``.pt`` files
with ``torch.save``:

* ``stat`` mode (the default): ``{"rank", "logical_count": Tensor[steps, layers, experts]
  (older versions: [layers, experts]), "average_utilization_rate_over_window"}``, written by rank 0
  after an all-reduce, so one file holds the whole cluster's counts;
* ``per_token`` (detail) mode: ``{"records": [{..., "global_physical_count": Tensor[layers,
  physical slots]}, ...], "last_physical_to_logical_map": Tensor[layers, physical slots]}``, one
  file per rank.

``convert_sglang_dump`` turns one or more such files into the SGLang JSON eplb-lab already reads,
``{"logical_count": [[...]]}`` (layers x experts, summed over steps, records and files), or, with
``series=True``, into the vLLM load-history JSON eplb-lab reads as a time series
(``{"load_history": [{"logical_expert_load": [[...]]}, ...]}``, stat mode only: one entry per
recorded step).

A ``.pt`` file is a zip archive holding a pickle (``<archive>/data.pkl``) whose tensors point at raw
little-endian storages (``<archive>/data/<key>``). ``load_pt`` reads it with the standard library
only, accepting just what these dumps contain (dicts, lists, numbers, strings, tensors); with
``use_torch=True`` it calls ``torch.load`` instead, imported only then.

Command line::

    python3 python/eplb_lab/engines.py DUMP.pt [MORE.pt ...] -o loads.json [--series]
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import pickle
import struct
import sys
import zipfile
from typing import Any, Iterable, List, Sequence

__all__ = ["EngineDumpError", "load_pt", "convert_sglang_dump", "main"]


class EngineDumpError(ValueError):
    """A dump that is not what the converter expects; the message names the file and the key."""


# torch storage class name -> (struct code, bytes per element)
_STORAGES = {
    "DoubleStorage": ("d", 8),
    "FloatStorage": ("f", 4),
    "HalfStorage": ("e", 2),
    "LongStorage": ("q", 8),
    "IntStorage": ("i", 4),
    "ShortStorage": ("h", 2),
    "CharStorage": ("b", 1),
    "ByteStorage": ("B", 1),
    "BoolStorage": ("?", 1),
}


class _StorageType:
    def __init__(self, name: str):
        self.name = name


class _Tensor:
    """A dense tensor read from a .pt file: its shape and values (``tolist`` like torch)."""

    def __init__(self, values: Sequence[Any], offset: int, shape: Sequence[int],
                 stride: Sequence[int]):
        self.shape = tuple(shape)
        self._values = values
        self._offset = offset
        self._stride = tuple(stride)

    def tolist(self) -> Any:
        def build(dim: int, base: int) -> Any:
            if dim == len(self.shape):
                return self._values[base]
            return [build(dim + 1, base + i * self._stride[dim]) for i in range(self.shape[dim])]

        return build(0, self._offset)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, *_ignored):
    if storage is None:
        raise EngineDumpError("a tensor without storage")
    needed = storage_offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
    if needed > len(storage):
        raise EngineDumpError(
            f"a tensor of shape {tuple(size)} reads past its storage of {len(storage)} values")
    return _Tensor(storage, storage_offset, size, stride)


class _PtUnpickler(pickle.Unpickler):
    """Unpickles a torch zip checkpoint's data.pkl without torch: only plain containers, numbers,
    strings and tensors; any other class is refused (a pickle can otherwise run code)."""

    def __init__(self, file, archive: zipfile.ZipFile, prefix: str, where: str):
        super().__init__(file)
        self._archive = archive
        self._prefix = prefix
        self._where = where
        self._storages = {}

    def find_class(self, module: str, name: str):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGES:
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        raise EngineDumpError(f"{self._where}: unsupported object {module}.{name} in the pickle "
                              "(pass use_torch=True / --torch to load it with torch)")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise EngineDumpError(f"{self._where}: unsupported persistent id {pid!r}")
        _, storage_type, key, _location, numel = pid
        if key not in self._storages:
            code, width = _STORAGES[storage_type.name]
            name = f"{self._prefix}data/{key}"
            try:
                raw = self._archive.read(name)
            except KeyError:
                raise EngineDumpError(f"{self._where}: the archive has no {name}") from None
            if len(raw) != numel * width:
                raise EngineDumpError(f"{self._where}: {name} has {len(raw)} bytes, expected "
                                      f"{numel} x {width}")
            self._storages[key] = list(struct.unpack(f"<{numel}{code}", raw))
        return self._storages[key]


def load_pt(path: str, use_torch: bool = False) -> Any:
    """The object ``torch.save`` wrote to ``path``; tensors have ``shape`` and ``tolist()``."""
    if use_torch:
        import torch  # optional dependency, imported only when asked for

        return torch.load(path, map_location="cpu", weights_only=True)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as e:
        raise EngineDumpError(f"{path}: not a torch zip checkpoint ({e}); files written by "
                              "torch.save since torch 1.6 are zip archives") from None
    with archive:
        pickles = [n for n in archive.namelist() if n.endswith("data.pkl")]
        if len(pickles) != 1:
            raise EngineDumpError(f"{path}: expected one data.pkl in the archive, found "
                                  f"{len(pickles)}")
        prefix = pickles[0][: -len("data.pkl")]
        order = f"{prefix}byteorder"
        if order in archive.namelist() and archive.read(order).strip() != b"little":
            raise EngineDumpError(f"{path}: big-endian storages are not supported")
        with archive.open(pickles[0]) as f:
            try:
                return _PtUnpickler(f, archive, prefix, path).load()
            except EngineDumpError:
                raise
            except Exception as e:  # a corrupt pickle raises many kinds of errors
                raise EngineDumpError(f"{path}: cannot read {pickles[0]}: {e}") from None


def _as_list(value: Any, where: str, ndims: Iterable[int]) -> list:
    if not hasattr(value, "tolist"):
        raise EngineDumpError(f"{where} is {type(value).__name__}, expected a tensor")
    shape = tuple(getattr(value, "shape", ()))
    if len(shape) not in tuple(ndims):
        raise EngineDumpError(f"{where} has shape {shape}, expected {' or '.join(f'{n}-D' for n in ndims)}")
    return value.tolist()


def _check_counts(matrix: list, where: str) -> None:
    for l, row in enumerate(matrix):
        for e, x in enumerate(row):
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or x < 0:
                raise EngineDumpError(f"{where}[{l}][{e}] is {x!r}; counts must be finite and >= 0")


def _add(total: list | None, matrix: list, where: str) -> list:
    if total is None:
        return [list(row) for row in matrix]
    if len(total) != len(matrix) or any(len(a) != len(b) for a, b in zip(total, matrix)):
        raise EngineDumpError(f"{where} has another shape than the first dump")
    return [[a + b for a, b in zip(ra, rb)] for ra, rb in zip(total, matrix)]


def _steps_of(dump: Any, where: str) -> List[list]:
    """Per-step [layers][experts] logical counts of one dump (stat or per_token mode)."""
    if not isinstance(dump, dict):
        raise EngineDumpError(f"{where}: expected a dict, found {type(dump).__name__}")
    if "logical_count" in dump:
        counts = _as_list(dump["logical_count"], f"{where}: logical_count", (2, 3))
        steps = [counts] if dump["logical_count"].shape.__len__() == 2 else counts
        for i, step in enumerate(steps):
            _check_counts(step, f"{where}: logical_count[{i}]")
        return steps
    if "records" in dump and "last_physical_to_logical_map" in dump:
        p2l = _as_list(dump["last_physical_to_logical_map"], f"{where}: last_physical_to_logical_map", (2,))
        experts = 1 + max(max(row) for row in p2l)
        steps = []
        for i, record in enumerate(dump["records"]):
            key = f"{where}: records[{i}].global_physical_count"
            if not isinstance(record, dict) or "global_physical_count" not in record:
                raise EngineDumpError(f"{where}: records[{i}] has no global_physical_count")
            physical = _as_list(record["global_physical_count"], key, (2,))
            if len(physical) != len(p2l) or any(len(a) != len(b) for a, b in zip(physical, p2l)):
                raise EngineDumpError(f"{key} does not match last_physical_to_logical_map's shape")
            _check_counts(physical, key)
            logical = [[0] * experts for _ in p2l]
            for l, (loads, slots) in enumerate(zip(physical, p2l)):
                for x, e in zip(loads, slots):
                    logical[l][e] += x
            steps.append(logical)
        if not steps:
            raise EngineDumpError(f"{where}: records is empty (nothing was recorded)")
        return steps
    raise EngineDumpError(f"{where}: no 'logical_count' (stat mode) nor 'records' with "
                          f"'last_physical_to_logical_map' (per_token mode); keys: {sorted(dump)}")


def convert_sglang_dump(paths: Sequence[str], series: bool = False, use_torch: bool = False) -> dict:
    """The eplb-lab load document of SGLang recorder dumps ``paths`` (summed over files)."""
    if not paths:
        raise EngineDumpError("no dump file given")
    per_file = [_steps_of(load_pt(p, use_torch), p) for p in paths]
    if series:
        if len(paths) != 1:
            raise EngineDumpError("--series takes one stat-mode dump (its steps are the series)")
        return {"load_history": [{"logical_expert_load": step} for step in per_file[0]]}
    total = None
    for path, steps in zip(paths, per_file):
        for step in steps:
            total = _add(total, step, path)
    return {"logical_count": total}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Convert SGLang expert-distribution recorder dumps (.pt) to the JSON "
                    "eplb-lab reads (eplb plan --workload FILE).")
    parser.add_argument("dumps", nargs="+", help="expert_distribution_recorder_*.pt files")
    parser.add_argument("-o", "--out", required=True, help="output JSON file")
    parser.add_argument("--series", action="store_true",
                        help="one step per recorded pass (vLLM load-history JSON) instead of the sum")
    parser.add_argument("--torch", action="store_true", help="load the dumps with torch.load")
    args = parser.parse_args(argv)
    try:
        doc = convert_sglang_dump(args.dumps, series=args.series, use_torch=args.torch)
    except EngineDumpError as e:
        print(f"engines.py: error: {e}", file=sys.stderr)
        return 2
    with open(args.out, "w") as f:
        json.dump(doc, f)
        f.write("\n")
    key = "load_history" if args.series else "logical_count"
    size = len(doc[key])
    print(f"wrote {args.out} ({key}: {size} {'steps' if args.series else 'layers'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
