"""dlx's Hydra sweeper plugins: the default grid sweeper (grid.py) and Optuna ask/tell with pruning and resume
(optuna_sweeper.py)."""
