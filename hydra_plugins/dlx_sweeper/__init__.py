"""dlx's Hydra sweepers: the default grid sweeper (grid.py) and Optuna's ask/tell (optuna_sweeper.py; the work is
dlx/sweep/optuna.py's)."""
