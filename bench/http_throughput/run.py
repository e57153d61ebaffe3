"""HTTP throughput and CPU cost per request: agentload against wrk, Locust and a raw Python floor.

One private nginx (1 worker, pinned to CPU 0, answers "ok") on 127.0.0.1; every
generator runs for --duration seconds with --connections keep-alive connections,
pinned to CPU 1 unless it is a multi-process variant. Per run it records
requests, req/s, the generator's CPU (user+sys from wait4, children included),
CPU µs/request, peak RSS, the tool's own p50/p99, nginx CPU and the CPU time
other processes used on the two CPUs. Prints a Markdown table and writes JSON.

    .venv/bin/python bench/http_throughput/run.py [--duration 10] [--connections 50]
        [--only agentload,wrk,locust,raw-httptools] [--repeat 2]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib.metadata
import json
import os
import platform
import pty
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from _nginx import CLK_TCK, Nginx, nginx_binary  # noqa: E402

PROJECT_PY = ROOT / ".venv" / "bin" / "python"
AGENTLOAD = ROOT / ".venv" / "bin" / "agentload"
LOCUST = BENCH / ".venv-locust" / "bin" / "locust"
OUT_JSON = BENCH / "out" / "http_throughput.json"
GNU_TIME = "/usr/bin/time"
NOISY_SHARE = 0.05  # other load above this share of a run's wall time is flagged

SERVER_CPU = 0
GEN_CPU = 1


# ----------------------------------------------------------------------------- measurement


@dataclass
class Proc:
    """One finished generator process."""

    rc: int
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float  # user+sys of the process and its waited-for descendants
    maxrss_mb: float  # largest RSS of the process or one waited-for descendant
    nginx_cpu_s: float
    cpu_busy_s: dict[int, float]  # per-CPU busy seconds (all processes) during the run
    timed_out: bool = False


def cpu_busy() -> dict[int, float]:
    """Busy seconds per CPU from /proc/stat (user+nice+system+irq+softirq; no idle/iowait/steal)."""
    out: dict[int, float] = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                parts = line.split()
                v = [int(x) for x in parts[1:8]]
                out[int(parts[0][3:])] = (v[0] + v[1] + v[2] + v[5] + v[6]) / CLK_TCK
    return out


def generator_env() -> dict[str, str]:
    """The environment generators run in: this one, with bytecode caching allowed.

    Some shells (and CI images) export PYTHONDONTWRITEBYTECODE=1; a Python tool
    then compiles every module it imports at each start (~0.4 s of CPU for
    agentload), which no installed copy does. The harness compiles the sources
    once beforehand (:func:`precompile`) and runs every tool without the flag.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def precompile(python: Path, package_dir: Path) -> None:
    """Write the .pyc files of ``package_dir`` (as pip does at install)."""
    subprocess.run(
        [str(python), "-m", "compileall", "-q", str(package_dir)],
        check=False,
        capture_output=True,
        env=generator_env(),
    )


class _Terminal:
    """A pseudo-terminal for a generator's stdout, drained (and dropped) by a thread.

    agentload draws its live dashboard only on a terminal; the benchmark runs it
    with the dashboard on, as a user at a terminal sees it.
    """

    def __init__(self, columns: int = 120, lines: int = 40) -> None:
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.tail = bytearray()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.tail += chunk
            del self.tail[:-8192]

    def close(self) -> None:
        os.close(self.slave)
        self._thread.join(5)
        with contextlib.suppress(OSError):
            os.close(self.master)


def run_measured(
    cmd: list[str],
    nginx: Nginx,
    pin: int | None,
    timeout: float,
    env: dict[str, str] | None = None,
    *,
    terminal: bool = False,
) -> Proc:
    """Run ``cmd`` (pinned with taskset if ``pin`` is set) and measure it.

    ``terminal``: stdout is a pseudo-terminal (what the tool prints there is
    dropped; :attr:`Proc.stdout` keeps its last 8 KiB).

    CPU comes from wait4 on the process we spawn (children it waited for are
    included). Peak RSS comes from GNU time's ``%M``: wait4's ``ru_maxrss`` of a
    child forked from this (large) Python process starts at the parent's RSS,
    which would inflate small tools like wrk; time forks from a tiny process.
    """
    fd, rss_path = tempfile.mkstemp(prefix="agentload-bench-rss-")
    os.close(fd)
    if os.access(GNU_TIME, os.X_OK):
        cmd = [GNU_TIME, "-q", "-f", "%M", "-o", rss_path, *cmd]
    if pin is not None:
        cmd = ["taskset", "-c", str(pin), *cmd]  # taskset execs: same pid, same rusage
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        busy0 = cpu_busy()
        ng0 = nginx.cpu_seconds()
        t0 = time.monotonic()
        term = _Terminal() if terminal else None
        p = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=term.slave if term is not None else out,
            stderr=err,
            env=env if env is not None else generator_env(),
            start_new_session=True,
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, sig)  # the session we started for this generator
                time.sleep(5)

        timer = threading.Timer(timeout, kill)
        timer.daemon = True
        timer.start()
        _, status, ru = os.wait4(p.pid, 0)
        timer.cancel()
        wall = time.monotonic() - t0
        ng1 = nginx.cpu_seconds()
        busy1 = cpu_busy()
        p.returncode = os.waitstatus_to_exitcode(status)
        # Leftovers of the session (e.g. un-reaped Locust workers) must not outlive the run.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
        if term is not None:
            term.close()
            out.write(bytes(term.tail))
        out.seek(0)
        err.seek(0)
        maxrss_mb = ru.ru_maxrss / 1024.0
        with contextlib.suppress(OSError, ValueError, IndexError):
            maxrss_mb = int(Path(rss_path).read_text().split()[-1]) / 1024.0
        with contextlib.suppress(OSError):
            os.unlink(rss_path)
        return Proc(
            rc=p.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
            wall_s=wall,
            cpu_s=ru.ru_utime + ru.ru_stime,
            maxrss_mb=maxrss_mb,
            nginx_cpu_s=ng1 - ng0,
            cpu_busy_s={c: busy1[c] - busy0.get(c, 0.0) for c in busy1},
            timed_out=timed_out.is_set(),
        )


def wait_idle(max_wait: float, threshold: float = 0.05) -> float:
    """Wait (up to ``max_wait`` s) for a 1 s window in which all CPUs together are
    busier than ``threshold`` of one CPU for at most that; returns the time waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < max_wait:
        b0 = cpu_busy()
        time.sleep(1.0)
        b1 = cpu_busy()
        if sum(b1.values()) - sum(b0.values()) <= threshold:
            break
    return time.monotonic() - t0


# ----------------------------------------------------------------------------- results


@dataclass
class Row:
    tool: str
    run: int
    status: str = "ok"  # "ok", "failed: …", "not available: …", "skipped: …"
    pinned_cpu: int | None = None
    requests: int | None = None
    elapsed_s: float | None = None  # the tool's own load window when it reports one
    req_per_s: float | None = None
    errors: int | None = None
    gen_cpu_s: float | None = None
    cpu_us_per_req: float | None = None
    window_cpu_us_per_req: float | None = None  # CPU inside the load window only, if known
    peak_rss_mb: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    nginx_cpu_s: float | None = None
    other_load_gen_cpu_s: float | None = None  # CPU used on GEN_CPU by anything but the generator
    other_load_server_cpu_s: float | None = None  # CPU used on SERVER_CPU by anything but nginx
    wall_s: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def fill_common(row: Row, p: Proc) -> None:
    row.gen_cpu_s = p.cpu_s
    row.peak_rss_mb = p.maxrss_mb
    row.nginx_cpu_s = p.nginx_cpu_s
    row.wall_s = p.wall_s
    if row.requests:
        row.cpu_us_per_req = p.cpu_s / row.requests * 1e6
    if row.pinned_cpu is not None:
        row.other_load_gen_cpu_s = p.cpu_busy_s.get(GEN_CPU, 0.0) - p.cpu_s
        row.other_load_server_cpu_s = p.cpu_busy_s.get(SERVER_CPU, 0.0) - p.nginx_cpu_s


def tail(text: str, n: int = 1) -> str:
    """The most telling line of an error output: the first ``…Error: …`` line, else the last."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    for ln in lines:
        if re.match(r"^(\w*Error|error)\b", ln):
            return ln[:160]
    return " | ".join(lines[-n:])[:160]


# ----------------------------------------------------------------------------- generators


@dataclass
class Ctx:
    nginx: Nginx
    duration: int
    connections: int
    pin_cpu: int | None  # GEN_CPU, or None on a 1-CPU machine


UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def wrk_time_ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * UNIT_MS[m.group(2)]


def gen_wrk(ctx: Ctx, run: int) -> Row:
    row = Row("wrk", run, pinned_cpu=ctx.pin_cpu)
    if not shutil.which("wrk"):
        row.status = "not available: wrk not installed (bench/setup.sh)"
        return row
    cmd = ["wrk", "-t1", f"-c{ctx.connections}", f"-d{ctx.duration}s", "--latency", ctx.nginx.url]
    p = run_measured(cmd, ctx.nginx, ctx.pin_cpu, ctx.duration + 30)
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", p.stdout)
    if p.rc != 0 or not m:
        row.status = f"failed: rc={p.rc} {tail(p.stderr or p.stdout)}"
        return row
    row.requests = int(m.group(1))
    row.elapsed_s = float(m.group(2)) * UNIT_MS[m.group(3)] / 1e3
    rps = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
    row.req_per_s = float(rps.group(1)) if rps else row.requests / row.elapsed_s
    for q, attr in (("50", "p50_ms"), ("99", "p99_ms")):
        mq = re.search(rf"^\s+{q}%\s+(\S+)", p.stdout, re.M)
        if mq:
            setattr(row, attr, wrk_time_ms(mq.group(1)))
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
    if non2xx:
        errors += int(non2xx.group(1))
    sock = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", p.stdout
    )
    if sock:
        errors += sum(int(x) for x in sock.groups())
    row.errors = errors
    fill_common(row, p)
    return row


def parse_locust_summary(text: str) -> dict[str, float]:
    """Totals from Locust's final printed summary (the --csv file misses the last ~second)."""
    lines = text.splitlines()
    out: dict[str, float] = {}
    # Request stats: "Aggregated  <reqs>  <fails>(<pct>%) | avg min max med | req/s failures/s"
    for ln in lines:
        if ln.strip().startswith("Aggregated") and "|" in ln:
            cols = ln.split("|")
            head = cols[0].split()
            out["requests"] = int(head[1])
            out["failures"] = int(head[2].split("(")[0])
            out["req_per_s"] = float(cols[2].split()[0])
            break
    # Percentiles (whole ms): header "… 50% 66% … 100% # reqs", then "Aggregated v v …".
    header: list[str] | None = None
    for ln in lines:
        if "50%" in ln and "99%" in ln:
            header = [t for t in ln.split() if t.endswith("%")]
        elif header and ln.strip().startswith("Aggregated") and "|" not in ln:
            vals = ln.split()[1:]
            for name, val in zip(header, vals, strict=False):
                with contextlib.suppress(ValueError):
                    out[name] = float(val)
            break
    return out


def gen_locust(processes: int) -> Callable[[Ctx, int], Row]:
    name = "locust FastHttpUser"
    if processes > 1:
        name += f" --processes {processes}"

    def gen(ctx: Ctx, run: int) -> Row:
        pin = ctx.pin_cpu if processes == 1 else None
        row = Row(name, run, pinned_cpu=pin)
        if not LOCUST.exists():
            row.status = "not available: bench/.venv-locust missing (bench/setup.sh)"
            return row
        if processes > 1:
            row.note = (
                f"{processes} processes, unpinned: they share the machine's CPUs "
                f"with nginx (CPU {SERVER_CPU})"
            )
        cmd = [
            str(LOCUST),
            "-f",
            str(HERE / "locust_fast.py"),
            "--headless",
            "-u",
            str(ctx.connections),
            "-r",
            str(ctx.connections),
            "-t",
            f"{ctx.duration}s",
            "-H",
            ctx.nginx.host,
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        if processes > 1:
            cmd += ["--processes", str(processes)]
        p = run_measured(cmd, ctx.nginx, pin, ctx.duration + 60)
        s = parse_locust_summary(p.stderr + "\n" + p.stdout)
        if "requests" not in s:
            row.status = f"failed: rc={p.rc} {tail(p.stderr or p.stdout)}"
            return row
        row.requests = int(s["requests"])
        row.errors = int(s.get("failures", 0))
        row.req_per_s = s.get("req_per_s") or row.requests / ctx.duration
        row.p50_ms = s.get("50%")
        row.p99_ms = s.get("99%")
        fill_common(row, p)
        if p.rc != 0 and row.errors == 0:
            row.note = (row.note + f"; exit code {p.rc}").lstrip("; ")
        return row

    return gen


def gen_raw(ctx: Ctx, run: int) -> Row:
    row = Row("raw Protocol + httptools (uvloop)", run, pinned_cpu=ctx.pin_cpu)
    cmd = [
        str(PROJECT_PY),
        str(HERE / "raw_httptools.py"),
        "--url",
        ctx.nginx.url,
        "--connections",
        str(ctx.connections),
        "--duration",
        str(ctx.duration),
    ]
    p = run_measured(cmd, ctx.nginx, ctx.pin_cpu, ctx.duration + 30)
    try:
        r = json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        row.status = f"failed: rc={p.rc} {tail(p.stderr)}"
        return row
    row.requests = r["requests"]
    row.elapsed_s = r["elapsed_s"]
    row.req_per_s = r["req_per_s"]
    row.errors = r["errors"]
    row.p50_ms = r["p50_ms"]
    row.p99_ms = r["p99_ms"]
    row.window_cpu_us_per_req = r["window_cpu_us_per_req"]
    fill_common(row, p)
    return row


def read_agentload_summary(path: Path) -> dict[str, float | None]:
    """The one place that knows agentload's summary.json schema; adapt here if it changes.

    Schema ``agentload.summary/1``: ``metrics.http_reqs.{count,rate}``;
    ``metrics.http_req_duration.{med,p99}`` in ms; ``metrics.http_req_failed`` is a
    rate metric whose ``rate`` is the failed share of ``total``; ``run.duration_s``.
    """
    doc = json.loads(path.read_text())
    metrics = doc["metrics"]

    def pick(obj: Any, *keys: str) -> float | None:
        if not isinstance(obj, dict):
            return None
        for k in keys:
            v = obj.get(k)
            if isinstance(v, int | float) and not isinstance(v, bool):
                return float(v)
        return None

    reqs = metrics["http_reqs"]
    dur = metrics.get("http_req_duration")
    failed = metrics.get("http_req_failed")
    rate, total = pick(failed, "rate"), pick(failed, "total")
    return {
        "requests": float(reqs["count"]),
        "req_per_s": pick(reqs, "rate"),
        "p50_ms": pick(dur, "med", "p50", "p(50)"),
        "p99_ms": pick(dur, "p99", "p(99)"),
        "errors": round(rate * total) if rate is not None and total is not None else None,
        "elapsed_s": pick(doc.get("run"), "duration_s"),
    }


def gen_agentload(workers: int) -> Callable[[Ctx, int], Row]:
    name = "agentload" if workers == 1 else f"agentload --workers {workers}"

    def gen(ctx: Ctx, run: int) -> Row:
        pin = ctx.pin_cpu if workers == 1 else None
        row = Row(name, run, pinned_cpu=pin)
        if not AGENTLOAD.exists():
            row.status = "not available: .venv/bin/agentload missing"
            return row
        if workers > 1:
            row.note = (
                f"{workers} workers, unpinned: they share the machine's CPUs with nginx "
                f"(CPU {SERVER_CPU})"
            )
        out_dir = Path(tempfile.mkdtemp(prefix="agentload-bench-out-"))
        try:
            cmd = [
                str(AGENTLOAD),
                "run",
                str(HERE / "scenario.yaml"),
                "--target",
                ctx.nginx.host,
                "--vus",
                str(ctx.connections),
                "--duration",
                f"{ctx.duration}s",
                "--out",
                str(out_dir),
            ]
            # Always explicit: the CLI's default is one worker per CPU.
            cmd += ["--workers", str(workers)]
            # The full product path: the live dashboard draws on a (pseudo-)terminal.
            p = run_measured(cmd, ctx.nginx, pin, ctx.duration + 60, terminal=True)
            summary = out_dir / "summary.json"
            if not summary.exists():
                msg = tail(p.stderr or p.stdout) or "no output"
                if (
                    workers > 1
                    and p.rc != 0
                    and ("--workers" in p.stderr or "no such option" in p.stderr.lower())
                ):
                    row.status = "skipped: CLI rejects --workers"
                else:
                    row.status = f"not available: rc={p.rc}, no summary.json ({msg})"
                return row
            try:
                s = read_agentload_summary(summary)
            except (KeyError, TypeError, ValueError) as exc:
                row.status = f"failed: summary.json not understood ({exc!r})"
                return row
            row.requests = int(s["requests"] or 0)
            row.elapsed_s = s["elapsed_s"]
            row.req_per_s = s["req_per_s"] or row.requests / (row.elapsed_s or ctx.duration)
            row.p50_ms = s["p50_ms"]
            row.p99_ms = s["p99_ms"]
            row.errors = int(s["errors"]) if s["errors"] is not None else None
            fill_common(row, p)
            if p.rc != 0:
                row.note = (row.note + f"; exit code {p.rc}: {tail(p.stderr)}").lstrip("; ")
            return row
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)

    return gen


GENERATORS: dict[str, Callable[[Ctx, int], Row]] = {
    "agentload": gen_agentload(1),
    "wrk": gen_wrk,
    "raw-httptools": gen_raw,
    "locust": gen_locust(1),
    "agentload-2w": gen_agentload(2),
    "locust-2p": gen_locust(2),
}


# ----------------------------------------------------------------------------- report


def first_line(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc.__class__.__name__})"
    text = (r.stdout + r.stderr).strip()
    return text.splitlines()[0] if text else "unavailable"


def dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "kernel": platform.release(),
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


def versions() -> dict[str, str]:
    def clean(text: str, pattern: str) -> str:
        m = re.search(pattern, text)
        return m.group(1) if m else text

    try:
        nginx_v = clean(first_line([nginx_binary(), "-v"]), r"nginx/(\S+)")
    except FileNotFoundError:
        nginx_v = "not installed"
    locust_v = "not installed"
    if LOCUST.exists():
        locust_v = clean(first_line([str(LOCUST), "--version"]), r"locust (\S+)")
        deps = first_line(
            [
                str(LOCUST.parent / "python"),
                "-c",
                "import importlib.metadata as m; print(', '.join(f'{d} ' + m.version(d) "
                "for d in ('gevent', 'geventhttpclient')))",
            ]
        )
        locust_v += f" ({deps})"
    return {
        "nginx": nginx_v,
        "wrk": clean(first_line(["wrk", "-v"]), r"wrk (\S+)")
        if shutil.which("wrk")
        else "not installed",
        "locust": locust_v,
        "python": sys.version.split()[0],
        "uvloop": dist_version("uvloop"),
        "httptools": dist_version("httptools"),
        "agentload": dist_version("agentload"),
    }


def fmt(v: float | int | None, digits: int = 1, thousands: bool = False) -> str:
    if v is None:
        return "–"
    if thousands:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def markdown(meta: dict[str, Any], rows: list[Row]) -> str:
    out = ["# HTTP throughput: agentload vs peers", ""]
    m = meta["machine"]
    out.append(
        f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['mem_gib']} GiB, "
        f"kernel {m['kernel']}. Target: nginx, 1 worker on CPU {SERVER_CPU}, "
        f"127.0.0.1, {meta['connections']} keep-alive connections, "
        f"{meta['duration']} s per run, {meta['repeat']} run(s) per tool, interleaved."
    )
    out.append("")
    out.append("Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()) + ".")
    out.append("")
    cols = [
        "tool",
        "run",
        "req/s",
        "requests",
        "gen CPU s",
        "CPU µs/req",
        "peak RSS MB",
        "p50 ms",
        "p99 ms",
        "errors",
        "nginx CPU s",
        f"other load CPU{GEN_CPU} s",
        f"other load CPU{SERVER_CPU} s",
    ]
    out.append("| " + " | ".join(cols) + " |")
    out.append("|" + "---|" * len(cols))
    for r in rows:
        tool = r.tool + ("" if r.pinned_cpu is not None else " (unpinned)")

        def noisy(other: float | None, r: Row = r) -> str:
            return " ⚠" if other is not None and other > NOISY_SHARE * (r.wall_s or 0) else ""

        if r.status != "ok":
            status = r.status.replace("|", "/")
            out.append(f"| {tool} | r{r.run} | {status} |" + " – |" * (len(cols) - 3))
            continue
        out.append(
            "| "
            + " | ".join(
                [
                    tool,
                    f"r{r.run}",
                    fmt(r.req_per_s, thousands=True),
                    fmt(r.requests, thousands=True),
                    fmt(r.gen_cpu_s, 2),
                    fmt(r.cpu_us_per_req, 1),
                    fmt(r.peak_rss_mb, 0),
                    fmt(r.p50_ms, 2),
                    fmt(r.p99_ms, 2),
                    fmt(r.errors, thousands=True),
                    fmt(r.nginx_cpu_s, 2),
                    fmt(r.other_load_gen_cpu_s, 2) + noisy(r.other_load_gen_cpu_s),
                    fmt(r.other_load_server_cpu_s, 2) + noisy(r.other_load_server_cpu_s),
                ]
            )
            + " |"
        )
    out.append("")
    notes = [
        "CPU µs/req = (user+sys CPU of the whole generator process, start-up and shutdown "
        "included, from wait4) / requests. When nginx is near 1 CPU-second per second it is the "
        "ceiling, and only CPU µs/req compares the generators.",
        "req/s and p50/p99 are each tool's own (Locust reports whole milliseconds).",
        f"other load CPU{GEN_CPU} / CPU{SERVER_CPU} s = CPU time used on that CPU by anything "
        "but the generator / nginx during the run (/proc/stat); ⚠ marks more than "
        f"{NOISY_SHARE:.0%} of the run: a noisy neighbour, the run's figures are suspect.",
    ]
    for r in rows:
        if r.window_cpu_us_per_req is not None and r.status == "ok":
            notes.append(
                f"{r.tool} r{r.run}: {r.window_cpu_us_per_req:.1f} µs/req inside the "
                "load window only (no interpreter start-up)."
            )
        if r.note and r.status == "ok":
            notes.append(f"{r.tool} r{r.run}: {r.note}.")
    out.extend(f"- {n}" for n in dict.fromkeys(notes))
    return "\n".join(out)


# ----------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds of load per run")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument(
        "--only",
        default=",".join(GENERATORS),
        help=f"comma-separated subset of: {','.join(GENERATORS)}",
    )
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool, interleaved")
    ap.add_argument("--pause", type=float, default=1.0, help="seconds between runs")
    ap.add_argument("--json", type=Path, default=OUT_JSON)
    ap.add_argument(
        "--wait-idle",
        type=float,
        default=60.0,
        help="before each run, wait up to this many seconds for the machine to be idle "
        "(shared VMs); 0 disables",
    )
    args = ap.parse_args()
    if not 1 <= args.duration <= 120:
        ap.error("--duration must be 1..120 s (keep load bounded)")
    selected = [t.strip() for t in args.only.split(",") if t.strip()]
    unknown = [t for t in selected if t not in GENERATORS]
    if unknown:
        ap.error(f"unknown tool(s) {unknown}; choose from {list(GENERATORS)}")

    ncpu = len(os.sched_getaffinity(0))
    pin = GEN_CPU if ncpu >= 2 else None
    meta: dict[str, Any] = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "duration": args.duration,
        "connections": args.connections,
        "repeat": args.repeat,
        "tools": selected,
        "server_cpu": SERVER_CPU,
        "generator_cpu": pin,
        "machine": machine_info(),
        "versions": versions(),
    }
    rows: list[Row] = []
    # Every tool starts from compiled bytecode, as after a pip install (generator_env).
    precompile(ROOT / ".venv" / "bin" / "python", ROOT / "src" / "agentload")
    with Nginx(cpu=SERVER_CPU if ncpu >= 2 else None) as nginx:
        ctx = Ctx(nginx=nginx, duration=args.duration, connections=args.connections, pin_cpu=pin)
        for run in range(1, args.repeat + 1):
            for tool in selected:
                waited = wait_idle(args.wait_idle) if args.wait_idle > 0 else 0.0
                print(
                    f"[bench] {tool} r{run} (waited {waited:.0f} s for idle) …",
                    file=sys.stderr,
                    flush=True,
                )
                try:
                    row = GENERATORS[tool](ctx, run)
                except Exception as exc:  # one broken tool must not lose the other rows
                    row = Row(tool, run, status=f"failed: {exc!r}"[:300])
                row.extra["waited_for_idle_s"] = round(waited, 1)
                rows.append(row)
                print(
                    f"[bench]   {row.status}"
                    + (
                        f", {row.req_per_s:,.0f} req/s, {row.cpu_us_per_req:.1f} µs/req"
                        if row.status == "ok" and row.req_per_s and row.cpu_us_per_req
                        else ""
                    ),
                    file=sys.stderr,
                    flush=True,
                )
                if args.wait_idle <= 0:
                    time.sleep(args.pause)
    print(markdown(meta, rows))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "rows": [asdict(r) for r in rows]}, indent=2))
    print(f"\n(JSON: {args.json})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
