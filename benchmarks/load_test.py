"""Load test: /api/chat and /api/chat/stream at 8, 32 and 64 concurrent clients, and a memory soak.

Starts the server as the README's "Deploying" section tells a deployment to (`navigator serve`: one uvicorn
process), on a free loopback port, against the configured index, with a temporary database and the rate
limiter off, then drives it with async httpx clients. Every level is bounded in count and time; questions
come from the dev set with a per-request suffix, so the query-vector cache is never hit. Writes
benchmarks/results/load_test.json (the levels and the soak are kept side by side across runs).

    python benchmarks/load_test.py [--levels 8,32,64] [--requests 200] [--seconds 60]
    python benchmarks/load_test.py --soak 600 [--soak-clients 16]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ENDPOINTS = {"chat": "/api/chat", "stream": "/api/chat/stream"}


@dataclass
class Tally:
    """What one run of requests measured, in milliseconds."""

    latencies: list[float] = field(default_factory=list)
    first_delta: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    started: int = 0

    def error(self, kind: str) -> None:
        """Count one failed request of this kind."""
        self.errors[kind] = self.errors.get(kind, 0) + 1


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (MB) and Threads of a process, from /proc."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = round(int(value.split()[0]) / 1024)
        elif key == "Threads":
            out[key] = int(value)
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (the fields after the parenthesised command name)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def machine_busy_seconds() -> float:
    """CPU seconds all processes have used (every core), from the first line of /proc/stat."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


async def one_chat(client: httpx.AsyncClient, message: str, tally: Tally) -> None:
    t = time.perf_counter()
    response = await client.post(ENDPOINTS["chat"], json={"message": message})
    if response.status_code != 200:
        tally.error(f"http {response.status_code}")
        return
    if "status" not in response.json():
        tally.error("reply without status")
        return
    tally.latencies.append((time.perf_counter() - t) * 1000)


async def one_stream(client: httpx.AsyncClient, message: str, tally: Tally) -> None:
    """One SSE reply: time to the first delta and to the final event; exactly one final, and nothing after it."""
    t = time.perf_counter()
    first: float | None = None
    finals, after_final, event = 0, 0, ""
    async with client.stream("POST", ENDPOINTS["stream"], json={"message": message}) as response:
        if response.status_code != 200:
            await response.aread()
            tally.error(f"http {response.status_code}")
            return
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[len("event: "):]
                if finals:
                    after_final += 1
                if event == "delta" and first is None:
                    first = (time.perf_counter() - t) * 1000
                elif event == "final":
                    finals += 1
                    done = (time.perf_counter() - t) * 1000
                elif event == "error":
                    tally.error("error event")
                    return
    if finals != 1 or after_final:
        tally.error(f"{finals} final events, {after_final} events after final")
        return
    tally.latencies.append(done)
    if first is not None:
        tally.first_delta.append(first)


async def drive(base: str, endpoint: str, clients: int, questions: list[str], tag: str,
                max_requests: int, seconds: float, timeout: float) -> tuple[Tally, float]:
    """`clients` workers send requests until `max_requests` were started or `seconds` have passed."""
    tally = Tally()
    counter = itertools.count()
    deadline = time.perf_counter() + seconds
    send = one_chat if endpoint == "chat" else one_stream
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def worker(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            i = next(counter)
            if i >= max_requests:
                return
            tally.started += 1
            # A suffix per request: the server caches query vectors, and real traffic rarely repeats exactly.
            message = f"{questions[i % len(questions)]} ({tag}-{i})"
            try:
                await send(client, message, tally)
            except httpx.TimeoutException:
                tally.error("client timeout")
            except ValueError:  # a 200 whose body is not JSON
                tally.error("reply not JSON")
            except httpx.TransportError as exc:
                tally.error(type(exc).__name__)

    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    return tally, time.perf_counter() - started


def summarise(tally: Tally, wall: float) -> dict:
    ok = len(tally.latencies)
    out = {
        "requests": tally.started, "ok": ok, "errors": sum(tally.errors.values()), "error_kinds": tally.errors,
        "wall_s": round(wall, 1), "throughput_rps": round(ok / wall, 2) if wall else 0.0,
        "p50_ms": percentile(tally.latencies, 0.50), "p95_ms": percentile(tally.latencies, 0.95),
        "p99_ms": percentile(tally.latencies, 0.99), "max_ms": percentile(tally.latencies, 1.0),
    }
    if tally.first_delta:
        out |= {"first_delta_p50_ms": percentile(tally.first_delta, 0.50),
                "first_delta_p95_ms": percentile(tally.first_delta, 0.95),
                "first_delta_p99_ms": percentile(tally.first_delta, 0.99)}
    return out


class Server:
    """`navigator serve` as a subprocess on a free loopback port, with its own temporary database."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "server.log"
        env = os.environ | {
            "PYTHONUNBUFFERED": "1",
            "NAVIGATOR_DATABASE_PATH": str(workdir / "load.sqlite3"),
            "NAVIGATOR_RATE_LIMIT_PER_MINUTE": "0",  # the limiter would turn a load test into a 429 test
        }
        navigator = Path(sys.executable).with_name("navigator")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(navigator), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
            )
        self.pid = self.process.pid

    def wait_ready(self, seconds: float = 300) -> dict:
        """Wait for /healthz to answer 200 (the index is loaded) and return what it says."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                response = httpx.get(f"{self.base}/healthz", timeout=5)
                if response.status_code == 200:
                    return dict(response.json())
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise RuntimeError("server did not become ready")

    def stop(self) -> None:
        """SIGTERM (uvicorn's graceful shutdown), SIGKILL after 30 s."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def run_levels(server: Server, questions: list[str], args: argparse.Namespace) -> list[dict]:
    rows = []
    for clients in args.levels:
        for endpoint in args.endpoints:
            before_cpu, load = cpu_seconds(server.pid), load_average()
            before_own, before_all = time.process_time(), machine_busy_seconds()
            tally, wall = await drive(server.base, endpoint, clients, questions, f"{endpoint}{clients}",
                                      args.requests, args.seconds, args.timeout)
            server_cpu = cpu_seconds(server.pid) - before_cpu
            client_cpu = time.process_time() - before_own
            others = machine_busy_seconds() - before_all - server_cpu - client_cpu
            row = {"endpoint": ENDPOINTS[endpoint], "clients": clients, **summarise(tally, wall),
                   # Cores used on average: the server, this client, and everything else (other people's work).
                   "server_cpu_cores": round(server_cpu / wall, 2),
                   "client_cpu_cores": round(client_cpu / wall, 2),
                   "other_cpu_cores": round(max(0.0, others) / wall, 2),
                   "loadavg_1m_before": load, "server_rss_mb_after": proc_status(server.pid)["VmRSS"]}
            rows.append(row)
            print_row(row)
    return rows


async def run_soak(server: Server, questions: list[str], args: argparse.Namespace) -> dict:
    """Steady load (chat and stream alternating) for `--soak` seconds; RSS every `--rss-every` seconds."""
    samples: list[dict] = []
    started = time.perf_counter()
    stop = asyncio.Event()

    async def sample() -> None:
        while True:
            samples.append({"t_s": round(time.perf_counter() - started), **proc_status(server.pid),
                            "loadavg_1m": load_average()})
            print(f"  soak t={samples[-1]['t_s']:>4}s RSS {samples[-1]['VmRSS']} MB", flush=True)
            try:
                await asyncio.wait_for(stop.wait(), args.rss_every)
                return
            except TimeoutError:
                pass

    sampler = asyncio.create_task(sample())
    half = args.soak_clients // 2
    results = await asyncio.gather(
        drive(server.base, "chat", args.soak_clients - half, questions, "soakc", 10**6, args.soak, args.timeout),
        drive(server.base, "stream", half, questions, "soaks", 10**6, args.soak, args.timeout),
    )
    stop.set()
    await sampler
    samples.append({"t_s": round(time.perf_counter() - started), **proc_status(server.pid),
                    "loadavg_1m": load_average()})
    warm = [s for s in samples if s["t_s"] >= args.soak_warmup] or samples
    return {
        "seconds": args.soak, "clients": args.soak_clients, "warmup_s": args.soak_warmup,
        "chat": summarise(*results[0]), "stream": summarise(*results[1]),
        "rss_mb_first_after_warmup": warm[0]["VmRSS"], "rss_mb_last": warm[-1]["VmRSS"],
        "rss_growth_mb": warm[-1]["VmRSS"] - warm[0]["VmRSS"], "samples": samples,
    }


def print_row(row: dict) -> None:
    first = f"  first delta p50/p95 {row.get('first_delta_p50_ms')}/{row.get('first_delta_p95_ms')} ms" \
        if "first_delta_p50_ms" in row else ""
    print(f"{row['endpoint']:<17} {row['clients']:>3} clients  {row['ok']:>4}/{row['requests']:<4} ok  "
          f"{row['throughput_rps']:>6.2f} req/s  p50/p95/p99 {row['p50_ms']}/{row['p95_ms']}/{row['p99_ms']} ms  "
          f"errors {row['errors']} {row['error_kinds'] or ''}  cores: server {row['server_cpu_cores']} "
          f"client {row['client_cpu_cores']} others {row['other_cpu_cores']}  "
          f"RSS {row['server_rss_mb_after']} MB{first}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=ROOT.parent / "shared/evals/dev.jsonl")
    parser.add_argument("--levels", type=lambda s: [int(x) for x in s.split(",") if x], default=[8, 32, 64])
    parser.add_argument("--endpoints", type=lambda s: s.split(","), default=["chat", "stream"])
    parser.add_argument("--requests", type=int, default=200, help="Requests per level and endpoint at most.")
    parser.add_argument("--seconds", type=float, default=60, help="Time per level and endpoint at most.")
    parser.add_argument("--timeout", type=float, default=60, help="Client timeout per request (as a proxy's).")
    parser.add_argument("--soak", type=float, default=0, help="Run only a soak of this many seconds.")
    parser.add_argument("--soak-clients", type=int, default=16)
    parser.add_argument("--soak-warmup", type=float, default=60, help="RSS growth is measured after this.")
    parser.add_argument("--rss-every", type=float, default=30)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/load_test.json")
    args = parser.parse_args()
    if any(e not in ENDPOINTS for e in args.endpoints):
        parser.error(f"--endpoints takes {', '.join(ENDPOINTS)}")

    lines = args.dataset.read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    with tempfile.TemporaryDirectory(prefix="navigator-load-") as tmp:
        server = Server(Path(tmp))
        try:
            health = server.wait_ready()
            # Warm-up: the first replies load the chat service, language model and scope examples.
            asyncio.run(drive(server.base, "chat", 2, questions, "warm", 10, 60, args.timeout))
            asyncio.run(drive(server.base, "stream", 2, questions, "warms", 10, 60, args.timeout))
            run = {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": f"{platform.machine()}, "
                f"{os.cpu_count()} cores, {platform.python_version()}", "server": "navigator serve (1 uvicorn "
                "process, keep-alive 5 s)", "index_chunks": health.get("chunks"),
                "rss_mb_before": proc_status(server.pid)["VmRSS"], "loadavg_1m_before": load_average(),
            }
            if args.soak:
                run["soak"] = asyncio.run(run_soak(server, questions, args))
            else:
                run |= {"requests_per_level": args.requests, "seconds_per_level": args.seconds,
                        "client_timeout_s": args.timeout,
                        "rows": asyncio.run(run_levels(server, questions, args))}
            status = proc_status(server.pid)
            run |= {"rss_mb_after": status["VmRSS"], "peak_rss_mb": status["VmHWM"]}
        finally:
            server.stop()
        log_errors = [line for line in server.log.read_text(errors="replace").splitlines()
                      if "Traceback" in line or " 500 " in line or "ERROR" in line]
    run["server_log_error_lines"] = len(log_errors)
    print(f"server RSS before {run['rss_mb_before']} MB, after {run['rss_mb_after']} MB, peak {run['peak_rss_mb']} MB;"
          f" {len(log_errors)} error lines in the server log")
    if args.soak:
        s = run["soak"]
        print(f"soak {s['seconds']:.0f} s, {s['clients']} clients: RSS {s['rss_mb_first_after_warmup']} -> "
              f"{s['rss_mb_last']} MB after warm-up (growth {s['rss_growth_mb']} MB); chat errors "
              f"{s['chat']['errors']}, stream errors {s['stream']['errors']}")
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    results["soak" if args.soak else "levels"] = run
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
