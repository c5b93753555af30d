"""Counts what the schemathesis runs do; tests/conftest.py carries them to pytest's terminal summary
(also from xdist workers), so no -s is needed."""

from collections import Counter, defaultdict

STATS: Counter = Counter()
BY_OPERATION: defaultdict[str, Counter] = defaultdict(Counter)
