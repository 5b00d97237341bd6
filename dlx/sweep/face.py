"""What dlx's sweepers that launch their own jobs (``hydra/sweeper=optuna``, ``=seeds``) share: Hydra's set-up of
the launcher they hand batches to. Light on purpose: Hydra's plugin scan imports it on every start."""

from __future__ import annotations

from pathlib import Path

from hydra.plugins.sweeper import Sweeper
from omegaconf import DictConfig


class LaunchingSweeper(Sweeper):
    """A sweeper that asks the configured launcher to run its batches of jobs (the one ``hydra/launcher`` names)."""

    def setup(self, *, hydra_context, task_function, config: DictConfig) -> None:
        from hydra.core.plugins import Plugins

        self.config, self.hydra_context = config, hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(config=config, hydra_context=hydra_context,
                                                                task_function=task_function)
        self.sweep_dir = Path(config.hydra.sweep.dir).resolve()
