"""dlx's Hydra launcher ``hydra/launcher=batched``: the jobs of a sweep that differ only in ``seed`` trained as one
stacked model (torch.func), each job still writing its own run folder. See launcher.py and stacked.py."""
