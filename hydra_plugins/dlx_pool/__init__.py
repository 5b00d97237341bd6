"""dlx's Hydra launcher ``hydra/launcher=parallel`` (launcher.py, a face; the work is dlx/sweep/pool.py's)."""
