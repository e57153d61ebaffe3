"""Start and stop the benchmark nginx (bench/nginx.conf) on 127.0.0.1.

Used by the benchmark harnesses; standard library only. nginx runs in the
foreground (``daemon off``) as a child of the harness, pinned with ``taskset``,
with its pid file, error log and temp paths in a private temporary directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONF_TEMPLATE = HERE / "nginx.conf"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port that was free a moment ago (bind port 0, read it, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nginx_binary() -> str:
    found = shutil.which("nginx")
    if found:
        return found
    if os.access("/usr/sbin/nginx", os.X_OK):
        return "/usr/sbin/nginx"
    raise FileNotFoundError("nginx not found; run bench/setup.sh")


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds (0.0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return 0.0
    fields = data[data.rindex(b")") + 2 :].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children_of(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        fields = data[data.rindex(b")") + 2 :].split()
        if int(fields[1]) == pid:
            out.append(int(entry))
    return out


class Nginx:
    """``with Nginx(cpu=0) as n: n.url`` — a private nginx for one benchmark session."""

    def __init__(self, cpu: int | None = 0) -> None:
        self.cpu = cpu
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.tmp = ""
        self.worker_pids: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def host(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        self.tmp = tempfile.mkdtemp(prefix="agentload-bench-nginx-")
        user = "user root;" if os.geteuid() == 0 else ""
        self.port = free_port()
        conf = (
            CONF_TEMPLATE.read_text()
            .replace("@USER@", user)
            .replace("@TMP@", self.tmp)
            .replace("@PORT@", str(self.port))
        )
        conf_path = os.path.join(self.tmp, "nginx.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        cmd = [
            nginx_binary(),
            "-p",
            self.tmp,
            "-e",
            os.path.join(self.tmp, "error.log"),
            "-c",
            conf_path,
            "-g",
            "daemon off;",
        ]
        if self.cpu is not None:
            cmd = ["taskset", "-c", str(self.cpu), *cmd]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"nginx exited with {self.proc.returncode}: {err}{self._log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                self.worker_pids = children_of(self.proc.pid)
                if self.worker_pids:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nginx did not start listening on {self.port}{self._log()}")
            time.sleep(0.05)

    def _log(self) -> str:
        try:
            return "\n" + Path(self.tmp, "error.log").read_text()[-2000:]
        except OSError:
            return ""

    def cpu_seconds(self) -> float:
        """CPU used so far by the master and its workers."""
        assert self.proc is not None
        pids = [self.proc.pid, *self.worker_pids]
        return sum(proc_cpu_seconds(p) for p in pids)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # fast shutdown
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = ""

    def __enter__(self) -> Nginx:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":  # manual check: start, curl-like probe, stop
    import urllib.request

    with Nginx() as n:
        body = urllib.request.urlopen(n.url, timeout=5).read()
        print(n.url, body, "workers", n.worker_pids, "cpu", n.cpu_seconds())
