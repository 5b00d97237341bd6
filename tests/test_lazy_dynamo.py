"""torch._dynamo (1-1.7 s of imports) only in the processes that train or compile (dlx/lazy_dynamo.py).

Each case runs in a fresh interpreter: this test process has long imported torch._dynamo."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str, tmp_path: Path) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, capture_output=True,
                         text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_an_eager_run_imports_dynamo_once_cheaply_and_then_torch_wraps_as_its_own(tmp_path):
    """Constructing, zero_grad, state_dict, load_state_dict and the FLOP count of trainer.threads=auto: torch's
    wrappers would each import torch._dynamo on their first call. import_now (a run that trains: every step
    imports it) imports it with the collector paused and freezes the imports; from then on each deferred
    wrapper caches and calls the function torch._dynamo.disable makes, as torch's own wrapper does."""
    out = _python("""
        import gc
        import sys
        import torch
        import dlx.setup  # defers the import
        from dlx import lazy_dynamo
        from torch.utils.flop_counter import FlopCounterMode

        model = torch.nn.Linear(4, 2)
        for cls in (torch.optim.SGD, torch.optim.Adam):
            opt = cls(model.parameters(), lr=0.1)
            opt.zero_grad()
            opt.load_state_dict(opt.state_dict())
        with FlopCounterMode(display=False) as counter:
            model(torch.zeros(3, 4))
        assert counter.get_total_flops() == 2 * 3 * 4 * 2
        print("torch._dynamo" in sys.modules, "sympy" in sys.modules)

        fn = torch.optim.Optimizer.zero_grad.__wrapped__
        print(getattr(getattr(fn, "__dynamo_disable"), "_torchdynamo_disable", False))  # deferred
        lazy_dynamo.import_now()
        print("torch._dynamo" in sys.modules, gc.isenabled(), gc.get_freeze_count() > 100_000)
        torch.optim.SGD(model.parameters(), lr=0.1).zero_grad()
        print(getattr(getattr(fn, "__dynamo_disable"), "_torchdynamo_disable", False), lazy_dynamo.defer())
    """, tmp_path)
    assert out.split() == ["False", "False", "False", "True", "True", "True", "True", "0"]


@pytest.mark.slow  # a second fresh interpreter (3 s)
def test_the_preflight_of_a_sweep_imports_neither_dynamo_nor_sympy(tmp_path):
    """The parent of hydra/launcher=parallel only checks the jobs: it never pays for the compiler's imports."""
    out = _python(f"""
        import sys
        from dlx.preflight import preflight

        plan = preflight(["-m", "device=cpu", "seed=0,1", "model=mlp,cnn", "hydra.sweep.dir={tmp_path}/s"])
        assert plan.checked
        print("torch._dynamo" in sys.modules, "sympy" in sys.modules)
    """, tmp_path)
    assert out.split() == ["False", "False"]


def test_a_function_that_is_not_torchs_wrapper_is_left_alone():
    from dlx import lazy_dynamo

    def f():
        return 1

    assert lazy_dynamo._defer_one(f) is False
    assert not hasattr(f, "__dynamo_disable")
