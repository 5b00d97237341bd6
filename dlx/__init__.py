"""dlx: a command-line deep-learning experiment runner."""

__version__ = "0.1.0"
