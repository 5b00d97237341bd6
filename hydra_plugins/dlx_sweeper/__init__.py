"""dlx's Hydra sweeper plugin: Optuna ask/tell with pruning and resume (optuna_sweeper.py)."""
