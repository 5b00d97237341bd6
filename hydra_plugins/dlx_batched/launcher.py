"""``hydra/launcher=batched``: the jobs of a sweep that differ only in ``seed`` trained as one stacked model. The
work is dlx/sweep/batched.py's; this is the face Hydra's plugin scan finds."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.plugins.launcher import Launcher


@dataclass
class BatchedLauncherConf:
    _target_: str = "hydra_plugins.dlx_batched.launcher.BatchedLauncher"
    max_members: int = 0  # most jobs in one stack; 0: no limit
    n_jobs: Any = "auto"  # processes: auto (one per core for one-thread CPU jobs, else 1) or an integer


ConfigStore.instance().store(group="hydra/launcher", name="dlx_batched", node=BatchedLauncherConf, provider="dlx")


class BatchedLauncher(Launcher):
    def __init__(self, max_members: int = 0, n_jobs: Any = "auto") -> None:
        self.max_members, self.n_jobs = max_members, n_jobs
        self.progress = None  # a sweeper's own progress (dlx/sweep/progress.py): its jobs then print nothing

    def setup(self, *, hydra_context, task_function, config) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence:
        from dlx.sweep import batched

        return batched.launch(self.hydra_context, self.config, self.task_function, job_overrides, initial_job_idx,
                              self.n_jobs, self.max_members, self.progress)
