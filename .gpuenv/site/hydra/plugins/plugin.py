# Copyright (c) Facebook, Inc. and its affiliates. All Rights Reserved
from abc import ABC


class Plugin(ABC):
    ...
