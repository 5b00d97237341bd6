"""dlx's Hydra launcher ``hydra/launcher=parallel``: a sweep's jobs in parallel processes forked from a server that
imported torch and dlx once. See launcher.py."""
