#!/usr/bin/env python3
"""Load test of `regles serve`: many clients posting `evaluate` on localhost for a fixed time.

Run on demand (not part of the test suite); it starts the server, runs, stops the server and
itself::

    python benchmarks/serve_load.py                    # 200 clients, 30 s, examples/*.json in turn
    python benchmarks/serve_load.py --clients 50 --seconds 10 --json result.json

Each client is an asyncio task holding one keep-alive HTTP/1.1 connection and posting the facts of
the example files in turn to `POST /api/convention2024/evaluate` (the valid ones: 200 expected),
as fast as answers come. Reported: requests, errors (any status other than 200, any connection
failure), requests per second, and latency percentiles (p50, p90, p99, max) measured from the
first byte sent to the last byte of the answer read. The server is `regles serve` in its own
process (one uvicorn worker, as the command starts it), bound to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bodies() -> list[bytes]:
    """The example facts the 2024 file accepts (the échéancier file is for another command)."""
    bodies = []
    for path in sorted((ROOT / "examples").glob("*.json")):
        data = path.read_bytes()
        req = urllib.request.Request(BASE + "/api/convention2024/evaluate", data=data, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as answer:
                if answer.status == 200:
                    bodies.append(data)
        except urllib.error.HTTPError:
            pass
    return bodies


async def _read_answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def _client(port: int, bodies: list[bytes], stop: float, latencies: list[float], errors: list[str], k: int) -> None:
    reader = writer = None
    i = k
    while time.monotonic() < stop:
        body = bodies[i % len(bodies)]
        i += 1
        request = (b"POST /api/convention2024/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            await writer.drain()
            status = await _read_answer(reader)  # type: ignore[arg-type]
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors.append(type(exc).__name__)
            writer = None
            continue
        latencies.append(time.perf_counter() - started)
        if status != 200:
            errors.append(f"HTTP {status}")
    if writer is not None:
        writer.close()


async def _run(port: int, clients: int, seconds: float, bodies: list[bytes]) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.monotonic()
    stop = started + seconds
    await asyncio.gather(*(_client(port, bodies, stop, latencies, errors, k) for k in range(clients)))
    return latencies, errors, time.monotonic() - started


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    global BASE
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    port = _free_port()
    BASE = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "engine", "serve", "rulesets", "--port", str(port)], cwd=ROOT,
                              stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(BASE + "/api", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    print("le serveur n'a pas démarré", file=sys.stderr)
                    return 1
                time.sleep(0.1)
        bodies = _bodies()
        latencies, errors, elapsed = asyncio.run(_run(port, args.clients, args.seconds, bodies))
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    result = {
        "clients": args.clients, "seconds": round(elapsed, 1), "bodies": len(bodies), "requests": len(latencies),
        "errors": len(errors), "error_kinds": sorted(set(errors)),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": {"p50": round(_percentile(latencies, 50) * 1000, 1), "p90": round(_percentile(latencies, 90) * 1000, 1),
                       "p99": round(_percentile(latencies, 99) * 1000, 1), "max": round(max(latencies) * 1000, 1),
                       "mean": round(statistics.fmean(latencies) * 1000, 1)},
        "machine": f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cœurs",
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0 if not errors else 1


BASE = ""

if __name__ == "__main__":
    sys.exit(main())
