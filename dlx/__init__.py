"""dlx: a command-line deep-learning experiment runner."""

from pathlib import Path

__version__ = "0.1.0"

# dlx's config groups (the YAML files Hydra composes).
CONFIG_DIR = Path(__file__).parent / "configs"
