"""Without a C compiler agentload installs as pure Python (setup.py; D23): that must work too.

The hot path's own tests run again in a subprocess that imports a copy of the
package without its compiled extensions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The tests of the compiled modules: HTTP parsing, connections and request
# chains, the request step's metrics, and the voice codecs, pacing and clock.
HOT_PATH_TESTS = [
    "tests/unit/test_native_build.py",
    "tests/unit/protocols/test_http_core.py",
    "tests/unit/protocols/test_http_fields.py",
    "tests/unit/engine/test_request_step_metrics.py",
    "tests/unit/metrics/test_metrics_recorder.py",
    "tests/unit/protocols/test_voice_clock.py",
    "tests/unit/protocols/test_voice_codecs.py",
    "tests/unit/protocols/test_voice_timing.py",
    "tests/integration/test_http_client.py",
    "tests/integration/test_request_chains.py",
    "tests/integration/test_voice_twilio_player.py",
]


@pytest.mark.slow
def test_the_hot_path_passes_its_tests_as_pure_python(tmp_path: Path) -> None:
    shutil.copytree(
        ROOT / "src" / "agentload",
        tmp_path / "agentload",
        ignore=shutil.ignore_patterns("*.so", "__pycache__"),
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "AGENTLOAD_PURE_PYTHON": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *HOT_PATH_TESTS],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout
