"""The Dask executor's pure parts: addresses, the file bundle, the wall-clock start."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest

from agentload.distributed.cluster import ClusterAddress, parse_cluster
from agentload.distributed.protocol import Go, MessageError
from agentload.distributed.source import bundle_folder
from agentload.distributed.worker import _start_ns, _unpack
from agentload.errors import RunError, UsageError


def test_cluster_addresses() -> None:
    assert parse_cluster("local:3") == ClusterAddress(local_workers=3)
    assert parse_cluster(" tcp://10.0.0.5:8786 ") == ClusterAddress(scheduler="tcp://10.0.0.5:8786")
    assert str(parse_cluster("local:2")) == "local:2"
    for bad in ("local:0", "local:", "tcp://host", "http://h:1", "h:8786", ""):
        with pytest.raises(UsageError, match="--cluster"):
            parse_cluster(bad)


def test_the_bundle_carries_the_folder_but_not_caches_or_results(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("flow: []")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.csv").write_bytes(b"a,b\n1,2\n")
    for skipped in (".git", "__pycache__", "results"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "x").write_text("no")
    (tmp_path / ".env").write_text("SECRET=1")
    bundle = bundle_folder(tmp_path)
    assert sorted(bundle) == ["data/rows.csv", "s.yaml"]
    assert base64.b64decode(bundle["data/rows.csv"]) == b"a,b\n1,2\n"
    dest = tmp_path / "unpacked"
    _unpack(bundle, dest)
    assert (dest / "data" / "rows.csv").read_bytes() == b"a,b\n1,2\n"


def test_a_folder_too_big_to_ship_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(b"x" * 2048)
    with pytest.raises(RunError, match="folder of their own"):
        bundle_folder(tmp_path, max_bytes=1024)


def test_a_bundle_cannot_write_outside_its_folder(tmp_path: Path) -> None:
    with pytest.raises(MessageError, match="leaves the bundle folder"):
        _unpack({"../evil": base64.b64encode(b"x").decode()}, tmp_path / "b")
    assert not (tmp_path / "evil").exists()


def test_remote_workers_start_on_the_wall_clock() -> None:
    mono, wall = time.monotonic_ns(), time.time_ns()
    go = Go(start_at_ns=mono + 10**9, start_at_unix_ns=wall + 2 * 10**9)
    # Local workers share the coordinator's monotonic clock.
    assert _start_ns(go, wall_clock=False) == mono + 10**9
    # Remote ones convert the wall-clock start: two seconds from now on their clock.
    remote = _start_ns(go, wall_clock=True)
    assert abs(remote - (mono + 2 * 10**9)) < 50_000_000
