"""``hydra/sweeper=seeds`` (configs/hydra/sweeper/seeds.yaml): sequential seeds, rounds of seeds added only to the
comparisons still undecided. The work is dlx/sweep/seeds.py's; this is the face Hydra's plugin scan finds."""

from typing import Any

from omegaconf import DictConfig, OmegaConf

from dlx.sweep.face import LaunchingSweeper


class SeedsSweeper(LaunchingSweeper):
    def __init__(self, params: Any = None, first: int = 3, step: int = 2, most: int = 20, alpha: float = 0.05,
                 spending: str = "pocock", margin: float | None = None, futility: float | None = 0.1,
                 metric: str | None = None, by: str = "best", mode: str | None = None, vs: str | None = None,
                 checked: bool = False) -> None:
        self.params = OmegaConf.to_container(params) if isinstance(params, DictConfig) else params
        self.first, self.step, self.most, self.alpha = first, step, most, alpha
        self.spending, self.margin, self.futility = spending, margin, futility
        self.metric, self.by, self.mode, self.vs = metric, by, mode, vs
        self.job_idx = 0  # checked: set by `dlx train -m` when its preflight checked every arm (nothing to redo)

    def sweep(self, arguments: list[str]) -> None:
        from dlx.sweep import seeds

        seeds.sweep(self, arguments)
