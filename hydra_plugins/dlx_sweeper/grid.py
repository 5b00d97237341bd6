"""``hydra/sweeper=grid``, dlx's default: Hydra's BasicSweeper without its second composition of every job.

BasicSweeper composes every job of a batch before handing the batch to the launcher (validate_batch_is_legal, to
fail early), and the launcher composes each job again to run it. `dlx train -m` has composed and checked every job
of the grid before Hydra started (dlx.preflight: jobs that differ only in an integer seed through one of them) and
says so with ``hydra.sweeper.checked=true``, recorded in multirun.yaml; this sweeper then skips that first pass:
about 0.1 s a job on a 2-core CPU, over a second for a 10-job sweep. Without it (another entry point, a grid larger
than the preflight checks) jobs are validated as Hydra does. The class keeps Hydra's name, by which dlx.preflight
and dlx.sweep recognise a grid sweep.
"""

from collections.abc import Sequence
from typing import Any

from hydra.plugins.sweeper import Sweeper


class BasicSweeper(Sweeper):
    """Hydra's BasicSweeper, held rather than subclassed: Hydra's plugin scan executes its module again, and the
    class it then holds (which its own ``super(BasicSweeper, self)`` names) is looked up when this one is made."""

    def __init__(self, max_batch_size: int | None = None, params: dict[str, str] | None = None,
                 checked: bool = False) -> None:
        # Hydra's basic sweeper lives in hydra._internal, read on hydra-core 1.3.2-1.3.8: it has no public import
        # path (tests/test_private_apis.py)
        from hydra._internal.core_plugins import basic_sweeper

        self.hydra_sweeper = basic_sweeper.BasicSweeper(max_batch_size=max_batch_size, params=params)
        if checked:  # its sweep() calls validate_batch_is_legal on itself: every job was checked already
            self.hydra_sweeper.validate_batch_is_legal = lambda batch: None

    def setup(self, **kwargs: Any) -> None:
        self.hydra_sweeper.setup(**kwargs)

    def sweep(self, arguments: list[str]) -> Any:
        return self.hydra_sweeper.sweep(arguments)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        self.hydra_sweeper.validate_batch_is_legal(batch)
