"""Every private attribute of torch, Hydra, Optuna and the standard library that dlx uses (where no public API
exists), asserted to exist and to do what dlx relies on: an upgrade that changes one fails here, by name, instead
of somewhere in a sweep. Each use carries a comment naming the versions it was read on."""

from __future__ import annotations

import inspect
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest
import torch


def test_torchs_multi_tensor_kernels_compute_what_dlx_uses_them_for():
    """dlx/optim/course.py and dlx/regularize.py: torch._foreach_* against the one-tensor ops they replace."""
    a, b, c = ([torch.rand(3, 2) + 0.1, torch.rand(4) + 0.1] for _ in range(3))
    one = lambda f, *xs: [f(*t) for t in zip(*xs)]
    same = lambda got, want: all(torch.equal(g, w) for g, w in zip(got, want))
    assert same(torch._foreach_add(a, b), one(torch.add, a, b))
    assert same(torch._foreach_sqrt(a), one(torch.sqrt, a))
    assert same(torch._foreach_norm(a), one(torch.linalg.vector_norm, a))
    for name, args, kwargs, want in [
        ("_foreach_mul_", (0.5,), {}, one(lambda x: x * 0.5, a)),
        ("_foreach_add_", (b,), {"alpha": -2.0}, one(lambda x, y: x + -2.0 * y, a, b)),
        ("_foreach_addcmul_", (b, c), {"value": 0.3}, one(lambda x, y, z: x + 0.3 * y * z, a, b, c)),
        ("_foreach_addcdiv_", (b, c), {"value": -0.3}, one(lambda x, y, z: x + -0.3 * y / z, a, b, c)),
        ("_foreach_sqrt_", (), {}, one(torch.sqrt, a)),
        ("_foreach_copy_", (b,), {}, b),
    ]:
        x = [t.clone() for t in a]
        getattr(torch, name)(x, *args, **kwargs)
        assert all(torch.allclose(g, w, atol=1e-6) for g, w in zip(x, want)), name


def test_torchs_strong_wolfe_line_search_keeps_its_signature():
    """dlx/optim/second_order.py: LBFGS's line search, on f(x) = x.x from x = 1 along -grad."""
    from torch.optim.lbfgs import _strong_wolfe

    x0 = torch.ones(3)

    def evaluate(x, t, d):  # (loss, flat gradient) at x + t d, as dlx's conjugate gradient passes it
        y = x + t * d
        return float(y.dot(y)), 2 * y

    f, g, t, evals = _strong_wolfe(evaluate, x0, 1.0, -2 * x0, 3.0, 2 * x0, float((2 * x0).dot(-2 * x0)), c2=0.9)
    assert f < 3.0 and g.shape == x0.shape and 0 < t and evals >= 1


def test_torchs_lazy_dynamo_wrappers_are_the_ones_dlx_defers():
    """dlx/lazy_dynamo.py: each wrapper dlx defers is torch._compile's, wrapping the function whose
    ``__dynamo_disable`` it caches."""
    from dlx import lazy_dynamo

    found = lazy_dynamo.wrappers()
    assert len(found) == 5 and all(lazy_dynamo.is_torch_wrapper(w) for w in found)
    src = inspect.getsource(torch._compile._disable_dynamo)
    assert '"__dynamo_disable"' in src and "fn.__dynamo_disable = disable_fn" in src


def test_the_standard_librarys_fork_server_and_pool_keep_what_dlx_reads():
    """dlx/sweep/pool.py: the fork server's module instance, its pid and _stop; the executor's _processes."""
    from multiprocessing import forkserver

    server = forkserver._forkserver
    assert hasattr(server, "_forkserver_pid") and callable(server._stop)
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    try:
        assert pool.submit(int, "7").result() == 7
        assert isinstance(pool._processes, dict) and all(isinstance(p, int) for p in pool._processes)
    finally:
        pool.shutdown()


def test_hydras_basic_sweeper_expands_a_grid_in_its_order():
    """dlx/sweep/jobs.py and hydra_plugins/dlx_sweeper/grid.py: hydra._internal's BasicSweeper, and the
    JobReturn field dlx/sweep/pool.py hands back."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.utils import JobReturn

    from dlx.sweep.jobs import grid

    assert grid({"a": "1,2"}, ["b=x,y"]) == [["a=1", "b=x"], ["a=1", "b=y"], ["a=2", "b=x"], ["a=2", "b=y"]]
    assert callable(BasicSweeper.split_arguments) and callable(BasicSweeper.validate_batch_is_legal)
    assert JobReturn(_return_value=3)._return_value == 3


def test_optunas_pruners_keep_what_promotion_reads():
    """dlx/search.py's promotion (asynchronous successive halving): the reduction factor, a hyperband trial's
    bracket."""
    optuna = pytest.importorskip("optuna", minversion="4", reason="needs the `sweep` extra (optuna >= 4)")
    assert optuna.pruners.SuccessiveHalvingPruner(reduction_factor=3)._reduction_factor == 3
    hyperband = optuna.pruners.HyperbandPruner(reduction_factor=3)
    assert hyperband._reduction_factor == 3
    assert callable(hyperband._try_initialization) and callable(hyperband._get_bracket_id)
