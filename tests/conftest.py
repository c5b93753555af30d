"""The figures the harness tests measured (rows lost, cases run, routes covered, req/s) and what the
schemathesis runs did, repeated in pytest's terminal summary so they are visible without -s.

`make test` runs under pytest-xdist: a test records its figures in its worker process, which has
no terminal. So each test report carries the figures recorded while it ran (as user properties,
which xdist sends to the controller), and the summary prints what the reports brought."""

from collections import Counter, defaultdict

import pytest

FIGURES_SEEN: list[str] = []
STATS_SEEN: Counter = Counter()
BY_OPERATION_SEEN: defaultdict[str, Counter] = defaultdict(Counter)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    from tests.api.conftest import BY_OPERATION, STATS
    from tests.live import FIGURES

    if FIGURES:
        report.user_properties.append(("harness figures", list(FIGURES)))
        FIGURES.clear()
    if STATS:
        by_operation = {label: {str(code): n for code, n in c.items()} for label, c in BY_OPERATION.items()}
        report.user_properties.append(("schemathesis", (dict(STATS), by_operation)))
        STATS.clear()
        BY_OPERATION.clear()


def pytest_runtest_logreport(report):
    for key, value in report.user_properties:
        if key == "harness figures":
            FIGURES_SEEN.extend(value)
        elif key == "schemathesis":
            stats, by_operation = value
            STATS_SEEN.update(stats)
            for label, statuses in by_operation.items():
                BY_OPERATION_SEEN[label].update(statuses)


def pytest_terminal_summary(terminalreporter):
    if FIGURES_SEEN:
        terminalreporter.write_sep("-", "harness figures")
        for line in FIGURES_SEEN:
            terminalreporter.write_line(line)
    if STATS_SEEN:
        s = STATS_SEEN
        terminalreporter.write_sep("-", "schemathesis")
        terminalreporter.write_line(
            f"cases: {s['cases']}, requests: {s['requests']}, server errors (5xx): {s['server_errors']}, "
            f"failed checks: {s['failures']}, negative cases: {s['ids kept (negative case)']}")
        for label, statuses in sorted(BY_OPERATION_SEEN.items()):
            terminalreporter.write_line(f"  {label:45} " + " ".join(f"{c}:{n}" for c, n in sorted(statuses.items())))
