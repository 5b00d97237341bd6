"""``hydra/launcher=slurm`` and ``local`` with ``hydra.launcher.tasks=N`` (the sweep packed into N scheduler tasks
that pull its jobs), and ``hydra/launcher=ray``. The work is dlx/sweep/cluster.py's; these are the faces Hydra's
plugin scan finds. Without ``tasks`` the submitit launchers are hydra-submitit-launcher's, one task per job."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.plugins.launcher import Launcher


class RayLauncher(Launcher):
    def __init__(self, address: str | None = None, tasks: int | None = None,
                 num_cpus: int | None = None) -> None:
        self.address, self.tasks, self.num_cpus = address, tasks, num_cpus

    def setup(self, *, hydra_context, task_function, config) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence:
        from dlx.sweep import cluster

        return cluster.launch_ray(self.hydra_context, self.config, self.task_function, job_overrides,
                                  initial_job_idx, self.address, self.tasks, self.num_cpus)


try:  # the extra dlx[slurm]; without it hydra/launcher=slurm and local say so when chosen
    from hydra_plugins.hydra_submitit_launcher import config as submitit_config
    from hydra_plugins.hydra_submitit_launcher import submitit_launcher
except ImportError:
    submitit_config = None

if submitit_config is not None:
    @dataclass
    class PackedLocalConf(submitit_config.LocalQueueConf):
        _target_: str = "hydra_plugins.dlx_cluster.launcher.PackedLocalLauncher"
        tasks: Any = None  # scheduler tasks the sweep is packed into; null: one per job (checked by the preflight)
        max_num_timeout: int = 3  # requeues after a time limit (a preemption does not count)

    @dataclass
    class PackedSlurmConf(submitit_config.SlurmQueueConf):
        _target_: str = "hydra_plugins.dlx_cluster.launcher.PackedSlurmLauncher"
        tasks: Any = None

    ConfigStore.instance().store(group="hydra/launcher", name="dlx_submitit_local", node=PackedLocalConf,
                                 provider="dlx")
    ConfigStore.instance().store(group="hydra/launcher", name="dlx_submitit_slurm", node=PackedSlurmConf,
                                 provider="dlx")

    class Packed:
        """hydra-submitit-launcher's launcher, packed when ``tasks`` is set."""

        def __init__(self, tasks: int | None = None, **params: Any) -> None:
            self.tasks = tasks
            super().__init__(**params)

        def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence:
            if self.tasks is None:
                return super().launch(job_overrides, initial_job_idx)
            from dlx.sweep import cluster

            return cluster.launch_submitit(self.hydra_context, self.config, self.task_function, job_overrides,
                                           initial_job_idx, self.executor(), self.tasks,
                                           self.params.get("cpus_per_task"))

        def executor(self):
            """submitit's executor with the launcher's parameters, as hydra-submitit-launcher builds it."""
            import submitit
            from omegaconf import OmegaConf

            kind, params = self.kind, dict(self.params)
            init = {f"{kind}_max_num_timeout": params.pop("max_num_timeout")} if "max_num_timeout" in params else {}
            executor = submitit.AutoExecutor(cluster=kind, folder=params.pop("submitit_folder"), **init)
            base = set(OmegaConf.structured(submitit_config.BaseQueueConf).keys())
            executor.update_parameters(**{k if k in base else f"{kind}_{k}": v for k, v in params.items()})
            return executor

    class PackedLocalLauncher(Packed, submitit_launcher.LocalLauncher):
        kind = "local"  # submitit's executor

    class PackedSlurmLauncher(Packed, submitit_launcher.SlurmLauncher):
        kind = "slurm"
