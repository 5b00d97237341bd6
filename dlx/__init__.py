"""dlx: a command-line deep-learning experiment runner."""

from pathlib import Path

__version__ = "0.1.0"


def _config_dir() -> Path:
    """dlx's config groups (the YAML Hydra composes): ``configs/`` at the top of a checkout (editable installs
    run from it), copied into the package as ``dlx/configs`` by a plain install (pyproject's package-dir)."""
    here = Path(__file__).resolve().parent
    for d in (here / "configs", here.parent / "configs"):
        if (d / "train.yaml").is_file():
            return d
    raise RuntimeError(f"dlx's configs are missing: neither {here / 'configs'} nor {here.parent / 'configs'} "
                       "holds train.yaml; reinstall dlx")


CONFIG_DIR = _config_dir()
