"""read_results: a results directory's tidy table (experiments/README.md lists the columns)."""
import os

from . import _eplb_lab

# Columns that stay text even when every value happens to look like a number.
_TEXT_COLUMNS = {"run_id", "error"}


def _number(text):
    try:
        return int(text)
    except ValueError:
        return float(text)


def _typed(name, values):
    """The column as ints, floats (None for empty cells) or, if any cell is text, strings."""
    if name in _TEXT_COLUMNS or name.startswith(("strategy.", "workload.", "score_workload.")):
        return list(values)
    try:
        return [None if v == "" else _number(v) for v in values]
    except ValueError:
        return list(values)


def read_results(path):
    """results.csv of an `eplb run` directory (or any result CSV file given by path).

    Returns a pandas DataFrame when pandas is installed, else a list of dicts (one per row).
    Numeric columns hold numbers (None/NaN in error rows). A missing or malformed file raises
    ValueError naming it.
    """
    header, rows = _eplb_lab._read_results_table(os.fspath(path))
    columns = {name: _typed(name, [row[i] for row in rows]) for i, name in enumerate(header)}
    try:
        import pandas
    except ImportError:
        return [{name: columns[name][r] for name in header} for r in range(len(rows))]
    return pandas.DataFrame(columns, columns=header)
