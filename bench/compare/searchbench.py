"""bench/compare/searchbench.py - what the search-quality comparisons
(algorithms.py, pareto.py, pruning.py) share: Optuna when Debian's
python3-optuna is installed (None otherwise: the comparison with it is
optional), the bundled price data, and the quartiles they report."""
import os
import statistics

try:
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
except ImportError:
    optuna = None

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples",
                    "data", "eustockmarkets.csv")


def quartiles(values):
    """(q25, median, q75) of values, as numpy's inclusive method."""
    s = sorted(values)
    q = statistics.quantiles(s, n=4, method="inclusive") if len(s) > 1 else [s[0]] * 3
    return q[0], statistics.median(s), q[2]
