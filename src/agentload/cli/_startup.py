"""What one ``agentload`` process spends before and after its work (docs/decisions.md D21).

``bench/http_throughput`` charges the whole process's CPU to its requests, so
start-up and exit are paid per run. Two costs there buy nothing:

- The cyclic garbage collector. Importing what ``agentload run`` needs creates
  ~50 000 long-lived objects (modules, functions, classes, dataclass methods);
  collections during those imports free nothing, yet cost ~0.1 s of CPU, and
  the collections at interpreter exit walk the same objects again (~0.1 s).
  :func:`lean_process` (around the console script) turns the collector off
  while the command imports and freezes everything alive when it ends, so exit
  skips the scan; :func:`imports_done` (at the start of a command's work)
  freezes the imported objects and turns the collector back on, so the run
  collects as always, minus re-scanning the modules. Frozen objects are never
  freed: only what exists at those two points, and at exit the operating
  system frees everything anyway.
- OpenBLAS's thread pool. numpy starts one OpenBLAS thread per CPU when it is
  imported, ~50 ms of CPU on two cores (more with more), and agentload makes
  no BLAS calls worth a thread (its numpy work is element-wise; D18 keeps BLAS
  out of the snapshot). ``OPENBLAS_NUM_THREADS=1`` is set unless the user set
  it; worker processes inherit it.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["imports_done", "lean_process"]


@contextmanager
def lean_process() -> Iterator[None]:
    """One BLAS thread; collector off until :func:`imports_done`; all frozen on the way out.

    Only the console script's ``main`` enters this: it changes the process's
    environment and collector, which an embedding program (or a test) owns.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # exit: nothing left to free that the OS would not free faster
        if was_enabled:
            gc.enable()


def imports_done() -> None:
    """Freeze what is alive now and collect again; a no-op unless the collector is off.

    A command run in-process under a test (click's ``CliRunner``) never turned
    the collector off, so this leaves it alone.
    """
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
