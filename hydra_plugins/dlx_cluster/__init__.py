"""dlx's cluster launchers: packed hydra/launcher=slurm and local (submitit), hydra/launcher=ray (launcher.py,
faces; the work is dlx/sweep/cluster.py's)."""
