"""HTTP load for the benchmarks: Debian's `wrk` at a fixed concurrency for a fixed time, and
servers started and stopped by their PID.

A request list has one request per line, `METHOD<TAB>PATH<TAB>JSON BODY` (the body may be empty);
wrk's Lua script sends them in order, cycling, so each create sends a new record until the list
wraps around.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

CLIENTS = 16
SECONDS = 12

LUA = r"""
local lines, i = {}, 0
for line in io.lines(os.getenv("BENCH_REQUESTS")) do
  local method, path, body = line:match("^(%u+)\t([^\t]*)\t?(.*)$")
  lines[#lines + 1] = {method, path, body}
end
local auth = os.getenv("BENCH_AUTH")
if auth ~= nil and auth ~= "" then wrk.headers["Authorization"] = auth end
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
request = function()
  i = i % #lines + 1
  local r = lines[i]
  return wrk.format(r[1], r[2], nil, r[3] ~= "" and r[3] or nil)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True, check=False,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("`wrk` is needed for the HTTP workloads: apt-get install -y wrk")
    return path


def load(base: str, requests: list[str], auth: str, work: Path, seconds: int = SECONDS, clients: int = CLIENTS,
         timeout: int = 10) -> dict:
    """wrk against base (http://host:port) with these request lines: req/s, p50/p99 ms, errors."""
    wrk = wrk_path()
    work.mkdir(parents=True, exist_ok=True)
    script, lines = work / "wrk.lua", work / "wrk-requests.txt"
    script.write_text(LUA)
    lines.write_text("\n".join(requests) + "\n", encoding="utf-8")
    proc = subprocess.run([wrk, "-t1", f"-c{clients}", f"-d{seconds}s", f"--timeout={timeout}s", "-s", str(script),
                           base], capture_output=True, text=True, check=False,
                          env=dict(os.environ, BENCH_REQUESTS=str(lines), BENCH_AUTH=auth))
    found = [line for line in proc.stdout.splitlines() if line.startswith("BENCH ")]
    if proc.returncode != 0 or not found:
        raise RuntimeError(f"`wrk -t1 -c{clients} -d{seconds}s {base}` exited {proc.returncode}: "
                           f"{(proc.stderr or proc.stdout).strip()[-800:]}")
    r = json.loads(found[0][6:])
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    # req/s counts the answers with a 2xx/3xx status; wrk counts the others as "status" errors
    return {"rps": (r["requests"] - r["status"]) / (r["duration_us"] / 1e6), "p50_ms": r["p50_us"] / 1000,
            "p99_ms": r["p99_us"] / 1000, "requests": r["requests"], "errors": errors, "seconds": seconds,
            "clients": clients, "detail": r}


def combine(a: dict, b: dict) -> dict:
    """Two runs of the same load (before and after another one, to cancel drift on a shared machine)."""
    return {"rps": (a["rps"] + b["rps"]) / 2, "p50_ms": (a["p50_ms"] + b["p50_ms"]) / 2,
            "p99_ms": max(a["p99_ms"], b["p99_ms"]), "requests": a["requests"] + b["requests"],
            "errors": a["errors"] + b["errors"], "seconds": a["seconds"] + b["seconds"], "clients": a["clients"],
            "runs": [a, b]}


def fmt(r: dict) -> str:
    return f"{r['rps']:,.1f} req/s, p50 {r['p50_ms']:.1f} / p99 {r['p99_ms']:.1f} ms, {r['errors']} errors"


class Server:
    """A server process started with `cmd`, ready when GET `ready_path` answers, stopped by its PID."""

    def __init__(self, cmd: list[str], port: int, ready_path: str, log: Path, env: dict | None = None,
                 cwd: Path | None = None, ready_timeout: int = 180):
        self.cmd, self.port, self.log = cmd, port, log
        self.base = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(cmd, stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env, cwd=cwd,  # noqa: SIM115
                                     start_new_session=True)
        deadline = time.monotonic() + ready_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"`{' '.join(map(str, cmd))}` exited {self.proc.returncode}:\n"
                                   f"{log.read_text(errors='replace')[-2000:]}")
            try:
                urllib.request.urlopen(self.base + ready_path, timeout=10).read()
                break
            except urllib.error.HTTPError:  # it answered
                break
            except OSError as exc:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"`{' '.join(map(str, cmd))}` did not answer {ready_path} within "
                                       f"{ready_timeout} s ({exc}):\n{log.read_text(errors='replace')[-2000:]}") from None
                time.sleep(0.5)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
