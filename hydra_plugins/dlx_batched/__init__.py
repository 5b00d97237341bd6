"""dlx's Hydra launcher ``hydra/launcher=batched`` (launcher.py, a face; the work is dlx/sweep/batched.py's)."""
