"""Counts what the schemathesis run did, printed in pytest's terminal summary (no -s needed)."""

from collections import Counter, defaultdict

STATS: Counter = Counter()
BY_OPERATION: defaultdict[str, Counter] = defaultdict(Counter)


def pytest_terminal_summary(terminalreporter):
    if not STATS:
        return
    terminalreporter.write_sep("-", "schemathesis")
    terminalreporter.write_line(
        f"cases: {STATS['cases']}, requests: {STATS['requests']}, server errors (5xx): {STATS['server_errors']}, "
        f"failed checks: {STATS['failures']}, negative cases: {STATS['ids kept (negative case)']}"
    )
    for label, statuses in sorted(BY_OPERATION.items()):
        terminalreporter.write_line(f"  {label:45} " + " ".join(f"{c}:{n}" for c, n in sorted(statuses.items())))
