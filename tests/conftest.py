"""The figures the harness tests measured (rows lost, cases run, routes covered, req/s), repeated in
pytest's terminal summary so they are visible without -s."""


def pytest_terminal_summary(terminalreporter):
    from tests.live import FIGURES

    if FIGURES:
        terminalreporter.write_sep("-", "harness figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
