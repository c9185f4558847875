"""Where candidate evaluations run: in this process, a local process pool, or a Dask cluster.

Evaluations are independent and take about a second each (an import, a few passes, a
functional simulation), so the engines only need to map a function over a batch of candidates
and hand the results back in order; the order (never the completion order) is what the search
sees, so a seed gives the same front whatever the engine and the number of workers.

Why Dask (not Ray) for clusters: `distributed` is pure Python and installs from PyPI in seconds
with no native runtime; a `LocalCluster` starts inside a test in about a second; its workers are
ordinary processes that import fpga-opt like the pool's.  Ray brings a large native core, an
object store and its own process supervisor: heavy for candidates that are a second of Python
each.  (docs/explore.md, "Scaling out".)

* `SerialEngine`   in process (`--workers 1`, and the reference for determinism tests);
* `PoolEngine`     `concurrent.futures.ProcessPoolExecutor` with W workers (the default);
* `DaskEngine`     a Dask scheduler: `--cluster tcp://host:8786`, or `--cluster local` for a
                   LocalCluster of `--workers` processes started here.

The evaluator is sent to each worker once (pool initialiser; Dask `scatter(broadcast=True)`).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager

from fpga_opt.dialects.errors import FpgaOptError

Done = Callable[[int, dict], None]

_WORKER_EVALUATOR = None


def _end_with_parent(parent: int) -> None:
    """Linux: the kernel sends this worker SIGTERM when the tool's process dies, even by SIGKILL.

    Without it a killed tool leaves its idle workers blocked for ever on the task queue, whose
    write end they inherited (a hang the fuzzer's signals family found).
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
    if os.getppid() != parent:  # the tool died before the line above ran
        os._exit(1)


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _init_worker(evaluator, parent: int) -> None:
    global _WORKER_EVALUATOR
    _WORKER_EVALUATOR = evaluator
    _end_with_parent(parent)
    # A forked worker inherits the tool's handlers, which raise to unwind the *tool*: here Ctrl-C is
    # the parent's to handle (it stops the pool), and SIGTERM ends the worker at once.  The signals
    # were blocked across the fork (`_signals_held`); one that came meanwhile is delivered now.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def _signals_held():
    """Hold SIGINT/SIGTERM while the pool forks workers, so none lands between a fork and `_init_worker`."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _run_in_worker(settings: dict) -> dict:
    assert _WORKER_EVALUATOR is not None
    return _WORKER_EVALUATOR(settings)


def _run_with(evaluator, settings: dict) -> dict:
    return evaluator(settings)


class SerialEngine:
    name = "serial"
    workers = 1

    def __init__(self, evaluator) -> None:
        self.evaluator = evaluator

    def map(self, batch: Sequence[dict], done: Done | None = None) -> list[dict]:
        results = []
        for i, settings in enumerate(batch):
            results.append(self.evaluator(settings))
            if done:
                done(i, results[-1])
        return results

    def close(self, abort: bool = False) -> None:
        pass


class PoolEngine:
    name = "process pool"

    def __init__(self, evaluator, workers: int) -> None:
        self.workers = workers
        # fork: workers inherit the imported modules (fpga-opt takes ~2 s to import).
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        self.pool = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context(method), initializer=_init_worker, initargs=(evaluator, os.getpid())
        )

    def map(self, batch: Sequence[dict], done: Done | None = None) -> list[dict]:
        with _signals_held():  # submitting forks the workers
            futures = {self.pool.submit(_run_in_worker, s): i for i, s in enumerate(batch)}
        results: list[dict | None] = [None] * len(batch)
        for future in as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            if done:
                done(i, results[i])  # type: ignore[arg-type]
        return results  # type: ignore[return-value]

    def close(self, abort: bool = False) -> None:
        """Wait for the workers; on `abort` (an error or a signal) stop them instead of waiting."""
        if abort:
            workers = list((getattr(self.pool, "_processes", None) or {}).values())
            for process in workers:
                process.terminate()
            for process in workers:
                process.join(timeout=5)
                if process.is_alive():
                    process.kill()
        # Waiting (also on abort, now quick): shutdown(wait=False) races the interpreter's exit hook,
        # which then writes to the pool's closed wake-up pipe (an OSError traceback after our line).
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskEngine:
    """Evaluations on a Dask cluster: an existing scheduler's address, or a LocalCluster started here."""

    name = "dask"

    def __init__(self, evaluator, address: str, workers: int) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise FpgaOptError(
                "--cluster needs Dask's distributed scheduler, which is not installed: pip install 'fpga-opt[explore]'"
            ) from None
        # Dask logs every worker, client and connection it starts and stops at INFO on stderr (pages
        # of them in a benchmark); a user sees its warnings and errors only.  Its loggers are all
        # under "distributed"; the workers' own processes get the level through `silence_logs`.
        logging.getLogger("distributed").setLevel(logging.WARNING)
        self.cluster = None
        if address == "local":
            import dask

            # Dask's workers keep their files in `temporary-directory` (default: $TMPDIR/dask-scratch-space,
            # left behind): here, in the run's scratch folder, removed with it.
            scratch = getattr(getattr(evaluator, "source", None), "workdir", None)
            settings = {"temporary-directory": scratch} if scratch else {}
            with dask.config.set(settings):
                self.cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    # its HTTP server (health routes) on a free port: 8787 may be taken, and said so
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                    silence_logs=logging.WARNING,
                )
                self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(address, timeout="10s")
            except OSError as error:
                raise FpgaOptError(f"--cluster {address}: cannot reach the Dask scheduler ({error})") from None
            except (ValueError, TypeError) as error:  # Dask's words for an address it cannot parse
                raise FpgaOptError(
                    f"--cluster {address}: not a Dask scheduler address, e.g. tcp://host:8786 or 'local' ({error})"
                ) from None
        self.workers = max(1, len(self.client.scheduler_info(n_workers=-1).get("workers", {})))
        self.evaluator = self.client.scatter(evaluator, broadcast=True)

    def map(self, batch: Sequence[dict], done: Done | None = None) -> list[dict]:
        from distributed import as_completed as dask_completed

        futures = [self.client.submit(_run_with, self.evaluator, s, pure=False) for s in batch]
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[dict | None] = [None] * len(batch)
        for future in dask_completed(futures):
            i = index[future.key]
            results[i] = future.result()
            if done:
                done(i, results[i])  # type: ignore[arg-type]
        return results  # type: ignore[return-value]

    def close(self, abort: bool = False) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_engine(evaluator, workers: int, cluster: str | None):
    """The engine for --workers / --cluster."""
    if workers < 1:
        raise FpgaOptError(f"--workers must be >= 1, got {workers}")
    if cluster:
        return DaskEngine(evaluator, cluster, workers)
    if workers == 1:
        return SerialEngine(evaluator)
    return PoolEngine(evaluator, workers)
