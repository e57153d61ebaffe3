"""Command line of the reference target: ``python -m agentload.target [flags]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence

from agentload._units import parse_duration
from agentload.errors import ExitCode
from agentload.target.app import serve
from agentload.target.config import TargetConfig, parse_latency

__all__ = ["LISTENING_PREFIX", "WEBHOOK_SECRET_ENV", "build_parser", "config_from_args", "main"]

WEBHOOK_SECRET_ENV = "AGENTLOAD_TARGET_WEBHOOK_SECRET"
"""Environment variable read for ``--webhook-secret`` (safer than a flag: ``ps`` shows flags)."""
LISTENING_PREFIX = "agentload target listening on "
"""The start of the one line printed once the server is bound (followed by the URL)."""


def _latency_arg(text: str) -> object:
    try:
        return parse_latency(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _duration_arg(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser(prog: str = "python -m agentload.target") -> argparse.ArgumentParser:
    """The argument parser (exposed so other front ends can show or reuse it)."""
    defaults = TargetConfig()
    p = argparse.ArgumentParser(
        prog=prog,
        description="Run agentload's reference agent backend until SIGINT or SIGTERM. "
        f"Once bound it prints one line: '{LISTENING_PREFIX}http://HOST:PORT'.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port to bind; 0 picks a free one")
    p.add_argument(
        "--delay-ms",
        type=float,
        default=defaults.delay_ms,
        help="extra latency on every API request, in ms",
    )
    p.add_argument(
        "--fail-rate",
        type=float,
        default=defaults.fail_rate,
        help="share of API requests answered 500 (0..1)",
    )
    p.add_argument(
        "--chat-latency",
        type=_latency_arg,
        default=defaults.chat_latency,
        metavar="SPEC",
        help="chat think time: constant:20ms, uniform:10ms:50ms or "
        f"lognormal:MEDIAN:SIGMA (default {defaults.chat_latency.spec()})",
    )
    p.add_argument(
        "--call-drain-rate",
        type=float,
        default=defaults.call_drain_rate,
        metavar="PER_S",
        help="scheduled calls completed per second",
    )
    p.add_argument(
        "--import-row-cost-ms",
        type=float,
        default=defaults.import_row_cost_ms,
        help="simulated cost of importing one contact row, in ms",
    )
    p.add_argument(
        "--import-workers",
        type=int,
        default=defaults.import_workers,
        help="contact-import jobs processed at once",
    )
    p.add_argument(
        "--token",
        default=None,
        help="the only accepted bearer token (default: any non-empty token)",
    )
    p.add_argument("--seed", type=int, default=None, help="seed for reproducible random draws")
    p.add_argument(
        "--kpi-cache-ttl",
        type=_duration_arg,
        default=defaults.kpi_cache_ttl_s,
        metavar="DURATION",
        help="KPI cache lifetime, e.g. 1s or 500ms; 0 disables",
    )
    p.add_argument(
        "--db",
        default=None,
        metavar="PATH",
        help="SQLite file to use (default: a private in-memory database)",
    )
    p.add_argument(
        "--max-upload-mb",
        type=float,
        default=defaults.max_upload_bytes / 2**20,
        help="largest accepted request body, in MiB",
    )
    p.add_argument(
        "--llm-ttft",
        type=_duration_arg,
        default=defaults.llm_ttft_ms / 1000.0,
        metavar="DURATION",
        help="/v1/chat/completions: time to the first token, e.g. 200ms "
        f"(default {defaults.llm_ttft_ms:g}ms)",
    )
    p.add_argument(
        "--llm-tps",
        type=float,
        default=defaults.llm_tps,
        metavar="PER_S",
        help="/v1/chat/completions: tokens per second after the first "
        f"(default {defaults.llm_tps:g})",
    )
    p.add_argument(
        "--llm-tokens",
        type=int,
        default=defaults.llm_tokens,
        metavar="N",
        help=f"/v1/chat/completions: tokens per reply (default {defaults.llm_tokens})",
    )
    p.add_argument(
        "--tool-latency",
        type=_latency_arg,
        default=defaults.tool_latency,
        metavar="SPEC",
        help="questionnaire tool execution time, same forms as --chat-latency "
        f"(default {defaults.tool_latency.spec()})",
    )
    p.add_argument(
        "--webhook-secret",
        default=os.environ.get(WEBHOOK_SECRET_ENV) or None,
        metavar="SECRET",
        help=f"secret the /webhooks/* receivers verify (default: ${WEBHOOK_SECRET_ENV}; "
        "unset: unsigned deliveries are accepted)",
    )
    p.add_argument(
        "--access-log",
        action="store_true",
        help="log one line per request to stderr (slows the server)",
    )
    return p


def config_from_args(args: argparse.Namespace) -> TargetConfig:
    """Build the config from parsed flags; raises ``ValueError`` for bad values."""
    return TargetConfig(
        delay_ms=args.delay_ms,
        fail_rate=args.fail_rate,
        chat_latency=args.chat_latency,
        call_drain_rate=args.call_drain_rate,
        import_row_cost_ms=args.import_row_cost_ms,
        import_workers=args.import_workers,
        token=args.token,
        seed=args.seed,
        kpi_cache_ttl_s=args.kpi_cache_ttl,
        db_path=args.db,
        max_upload_bytes=int(args.max_upload_mb * 2**20),
        access_log=args.access_log,
        llm_ttft_ms=args.llm_ttft * 1000.0,
        llm_tps=args.llm_tps,
        llm_tokens=args.llm_tokens,
        tool_latency=args.tool_latency,
        webhook_secret=args.webhook_secret,
    )


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory when uvloop is installed (it is faster), else the default."""
    try:
        import uvloop  # noqa: PLC0415 - optional, and importing it only here keeps imports cheap
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


async def _serve_until_signalled(config: TargetConfig, host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    installed: list[signal.Signals] = []
    for sig in signals:
        # Not available on Windows: there Ctrl-C arrives as KeyboardInterrupt instead.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        async with serve(config, host, port) as running:
            print(f"{LISTENING_PREFIX}{running.url}", flush=True)
            await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m agentload.target") -> int:
    """Run the target until SIGINT/SIGTERM; return the process exit code.

    0 after a signal, 2 for bad flags, 3 when the address cannot be bound.
    ``prog`` names the command in usage and error messages (``agentload target``).
    """
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a flag argparse rejected (already reported)
        return exc.code if isinstance(exc.code, int) else ExitCode.BAD_INPUT
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    logging.basicConfig(
        level=logging.INFO if config.access_log else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(_serve_until_signalled(config, args.host, args.port))
    except KeyboardInterrupt:
        return ExitCode.OK
    except OSError as exc:
        print(
            f"{parser.prog}: error: cannot listen on {args.host}:{args.port}: {exc}",
            file=sys.stderr,
        )
        return ExitCode.RUN_FAILED
    return ExitCode.OK
