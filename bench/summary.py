"""One table of every benchmark's latest figures, side by side, with the versions.

Reads what the benchmarks wrote to ``bench/out/``: http_throughput.json,
ws_echo.json, voice_streams.json, worker_scaling.json, memory_per_vu.json (``make -C bench`` runs
them, then this). A benchmark that has not been run is listed as such.
Ranges are min–max over the repeats of one invocation.

    .venv/bin/python bench/summary.py
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"


def _load(name: str) -> dict[str, Any] | None:
    path = OUT / f"{name}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _span(values: list[float], fmt: str) -> str:
    lo, hi = min(values), max(values)
    return format(lo, fmt) if lo == hi else f"{format(lo, fmt)}–{format(hi, fmt)}"


def http_rows(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    by_tool: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in data["rows"]:
        if row.get("status") == "ok":
            by_tool[row["tool"]].append(row)
    out = []
    for tool, rows in by_tool.items():
        rps = _span([r["req_per_s"] / 1000 for r in rows], ".1f")
        cpu = _span([r["cpu_us_per_req"] for r in rows], ".1f")
        out.append(("http_throughput", tool, f"{rps}k req/s", f"{cpu} µs CPU/request"))
    return out


def ws_rows(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    by_client: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in data["runs"]:
        by_client[run["client"]].append(run)
    return [
        (
            "ws_echo",
            client,
            f"{_span([r['per_s'] / 1000 for r in runs], '.1f')}k round trips/s",
            f"{_span([r['cpu_us_per_rt'] for r in runs], '.1f')} µs CPU/round trip",
        )
        for client, runs in by_client.items()
    ]


def voice_rows(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    out = [
        (
            "voice_streams",
            f"agentload, {row['calls']} Twilio calls, one core",
            f"send lateness p99 {row['p99']:.1f} ms ({'meets' if row['ok'] else 'misses'} < "
            f"{data['goal_p99_ms']:g} ms)",
            f"{row['cpu_us_per_frame']:.1f} µs CPU/frame",
        )
        for row in data["rows"]
    ]
    best = str(data["best_calls"])
    out.append(("voice_streams", "largest call count meeting the goal", best, ""))
    return out


def scaling_rows(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    quota = f"{data['quota_cpus']:g} CPU"
    out = []
    for workers in (1, 2):
        runs = [r for r in data["runs"] if r["workers"] == workers and r["status"] == "ok"]
        if runs:
            rps = _span([r["req_per_s"] / 1000 for r in runs], ".1f")
            out.append(
                ("worker_scaling", f"agentload, {workers} worker(s) × {quota}", f"{rps}k req/s", "")
            )
    if data["ratios"]:
        bound = "" if data.get("quota_bound", True) else " (⚠ not quota-bound)"
        out.append(
            (
                "worker_scaling",
                "two workers / one (goal ≥ 1.8×)",
                _span(data["ratios"], ".2f") + "×" + bound,
                "",
            )
        )
    return out


def memory_rows(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    out = [
        ("memory_per_vu", f"agentload, {r['vus']:,} idle VUs", f"{r['rss_mib']:.0f} MiB RSS", "")
        for r in data["rows"]
    ]
    out.append(("memory_per_vu", "per VU (slope)", f"{data['per_vu_kib']:.1f} KiB", ""))
    return out


def main() -> None:
    rows: list[tuple[str, str, str, str]] = []
    versions: dict[str, str] = {}
    for name, build in (
        ("http_throughput", http_rows),
        ("ws_echo", ws_rows),
        ("voice_streams", voice_rows),
        ("worker_scaling", scaling_rows),
        ("memory_per_vu", memory_rows),
    ):
        data = _load(name)
        if data is None:
            rows.append((name, "(not run)", "", ""))
            continue
        rows.extend(build(data))
        versions.update(data.get("meta", {}).get("versions", {}) or data.get("versions", {}))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    head = ("benchmark", "tool", "figure", "cost")
    widths = [max(w, len(h)) for w, h in zip(widths, head, strict=True)]
    line = " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    print(f"| {line} |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    if versions:
        print("\nversions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))


if __name__ == "__main__":
    main()
