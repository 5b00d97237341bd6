# Copyright (c) Facebook, Inc. and its affiliates. All Rights Reserved
from .compose import compose
from .initialize import initialize, initialize_config_dir, initialize_config_module

__all__ = [
    "compose",
    "initialize",
    "initialize_config_module",
    "initialize_config_dir",
]
