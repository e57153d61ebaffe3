"""The default results directory: one per run, even for runs started in the same second."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agentload.reports.results_dir import default_results_path


def test_each_call_claims_a_new_directory(tmp_path: Path) -> None:
    first = default_results_path(tmp_path)
    second = default_results_path(tmp_path)
    assert first != second
    assert first.is_dir() and second.is_dir()
    assert re.fullmatch(r"\d{8}T\d{6}Z", first.name)
    # The second call, in the same second or the next, took a name of its own.
    assert re.fullmatch(r"\d{8}T\d{6}Z(-\d+)?", second.name)


def test_concurrent_runs_never_share_a_directory(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        paths = list(pool.map(lambda _: default_results_path(tmp_path), range(32)))
    assert len(set(paths)) == 32
    assert all(path.is_dir() for path in paths)


def test_an_unwritable_base_raises_oserror(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError):
        default_results_path(blocker)
