"""Where candidates run: local processes (joblib's loky), or a Dask / Ray cluster through
joblib's registered backends. No scheduler of our own."""

from __future__ import annotations

import contextlib

from codegen.errors import UserError

BACKENDS = ("local", "dask", "ray")


def check_backend(backend: str, scheduler: str | None, address: str | None) -> None:
    """Before any search: the options fit the backend, and its package is installed."""
    import importlib.util

    if backend not in BACKENDS:
        raise UserError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
    if scheduler and backend != "dask":
        raise UserError("--scheduler is the address of a Dask scheduler; add --backend dask, or drop --scheduler")
    if address and backend != "ray":
        raise UserError("--address is the address of a Ray cluster; add --backend ray, or drop --address")
    if backend == "dask" and not scheduler:
        raise UserError("--backend dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    packages = {"dask": ("dask", "distributed"), "ray": ("ray",)}.get(backend, ())
    if any(importlib.util.find_spec(package) is None for package in packages):
        raise UserError(f"--backend {backend} needs {backend.capitalize()}: pip install 'mcugen[{backend}]'")


@contextlib.contextmanager
def joblib_backend(backend: str, address: str | None, jobs: int):
    """A context in which `joblib.Parallel(n_jobs=...)` runs on the chosen engine; yields the
    n_jobs to pass."""
    if backend == "local":
        yield jobs
    elif backend == "dask":
        with _dask(address) as n_jobs:
            yield n_jobs
    elif backend == "ray":
        with _ray(address) as n_jobs:
            yield n_jobs
    else:
        raise UserError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")


@contextlib.contextmanager
def _dask(address: str | None):
    try:
        from dask.distributed import Client
    except ImportError:
        raise UserError("--backend dask needs Dask: pip install 'mcugen[dask]'") from None
    import joblib

    if not address:
        raise UserError("--backend dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    try:
        client = Client(address, timeout=30)
    except OSError as error:
        raise UserError(f"cannot reach the Dask scheduler at {address}: {error}; check --scheduler") from None
    try:
        with joblib.parallel_backend("dask"):
            yield -1
    finally:
        client.close()


@contextlib.contextmanager
def _ray(address: str | None):
    try:
        import ray
        from ray.util.joblib import register_ray
    except ImportError:
        raise UserError("--backend ray needs Ray: pip install 'mcugen[ray]'") from None
    import joblib

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address or None, include_dashboard=False, log_to_driver=False)
    register_ray()
    try:
        with joblib.parallel_backend("ray"):
            yield -1
    finally:
        if started_here:
            ray.shutdown()
