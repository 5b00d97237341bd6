"""``hydra/sweeper=grid``, dlx's default: Hydra's BasicSweeper without its second composition of every job.

BasicSweeper composes every job of a batch before handing the batch to the launcher (validate_batch_is_legal, to
fail early), and the launcher composes each job again to run it. `dlx train -m` has composed and checked every job
of the grid before Hydra started (dlx.preflight: jobs that differ only in an integer seed through one of them),
so this sweeper skips that first pass for the jobs the preflight checked: about 0.1 s a job on a 2-core CPU, over
a second for a 10-job sweep. Jobs the preflight did not check (another entry point, a grid larger than it checks)
are validated as Hydra does. The class keeps Hydra's name, by which dlx.preflight and dlx.sweep recognise a grid
sweep.
"""

from collections.abc import Sequence
from typing import Any

from hydra.plugins.sweeper import Sweeper


class BasicSweeper(Sweeper):
    """Hydra's BasicSweeper, held rather than subclassed: Hydra's plugin scan executes its module again, and the
    class it then holds (which its own ``super(BasicSweeper, self)`` names) is looked up when this one is made."""

    def __init__(self, max_batch_size: int | None = None, params: dict[str, str] | None = None) -> None:
        from hydra._internal.core_plugins import basic_sweeper

        self.hydra_sweeper = basic_sweeper.BasicSweeper(max_batch_size=max_batch_size, params=params)
        basic = type(self.hydra_sweeper).validate_batch_is_legal

        def validate_batch_is_legal(batch: Sequence[Sequence[str]]) -> None:
            from dlx import preflight

            checked = preflight.checked_jobs
            if checked is not None and all(tuple(job) in checked for job in batch):
                return
            basic(self.hydra_sweeper, batch)

        self.hydra_sweeper.validate_batch_is_legal = validate_batch_is_legal  # what its sweep() calls

    def setup(self, **kwargs: Any) -> None:
        self.hydra_sweeper.setup(**kwargs)

    def sweep(self, arguments: list[str]) -> Any:
        return self.hydra_sweeper.sweep(arguments)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        self.hydra_sweeper.validate_batch_is_legal(batch)
