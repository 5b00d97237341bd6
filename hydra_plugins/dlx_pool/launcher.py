"""``hydra/launcher=parallel``: a sweep's jobs in worker processes forked from a server that imported torch and dlx
once. The work is dlx/sweep/pool.py's; this is the face Hydra's plugin scan finds."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.plugins.launcher import Launcher


@dataclass
class PoolLauncherConf:
    _target_: str = "hydra_plugins.dlx_pool.launcher.PoolLauncher"
    n_jobs: Any = "auto"  # jobs at once: auto, or an integer (0 or less: one per core)


ConfigStore.instance().store(group="hydra/launcher", name="dlx_pool", node=PoolLauncherConf, provider="dlx")


class PoolLauncher(Launcher):
    def __init__(self, n_jobs: Any = "auto") -> None:
        self.n_jobs = n_jobs
        self.progress = None  # a sweeper's own progress (dlx/sweep/progress.py): its jobs then print nothing

    def setup(self, *, hydra_context, task_function, config) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence:
        from dlx.sweep import pool

        return pool.launch(self.hydra_context, self.config, self.task_function, job_overrides, initial_job_idx,
                           self.n_jobs, self.progress)
