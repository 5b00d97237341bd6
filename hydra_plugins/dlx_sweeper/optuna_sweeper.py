"""``hydra/sweeper=optuna`` (configs/hydra/sweeper/optuna.yaml): Optuna's ask/tell through any Hydra launcher. The
work is dlx/sweep/optuna.py's; this is the face Hydra's plugin scan finds."""

from typing import Any

from omegaconf import DictConfig, OmegaConf

from dlx.sweep.face import LaunchingSweeper


def _direction(metric: str, mode: str) -> str:
    from dlx.sweep.optuna import direction

    return direction(metric, mode)


if not OmegaConf.has_resolver("dlx.direction"):  # optuna.yaml's direction: maximize for accuracies, else minimize
    OmegaConf.register_new_resolver("dlx.direction", _direction)


class OptunaSweeper(LaunchingSweeper):
    def __init__(self, sampler: str = "tpe", seed: int | None = 0, sampler_args: Any = None,
                 direction: str = "maximize", n_trials: int = 20, n_jobs: int = 1, pruner: str = "none",
                 pruner_args: Any = None, storage: str | None = None, study_name: str | None = None,
                 params: Any = None, seeds: int = 1) -> None:
        self.sampler_name, self.seed, self.direction = sampler, seed, str(direction)
        plain = lambda v: OmegaConf.to_container(v) if isinstance(v, DictConfig) else v
        self.sampler_args, self.pruner_name, self.pruner_args = plain(sampler_args), pruner, plain(pruner_args)
        self.n_trials, self.n_jobs = int(n_trials), max(1, int(n_jobs))
        self.storage_url, self.study_name, self.params = storage, study_name, params
        self.seeds = int(seeds)  # a trial's value: the mean over this many seeds (dlx/sweep/optuna.py)
        self.job_idx = 0

    def sweep(self, arguments: list[str]) -> None:
        from dlx.sweep import optuna

        optuna.sweep(self, arguments)
