"""LeNet-style convolutional net: [conv -> (BN) -> act -> maxpool] * len(channels) -> MLP head.

Works on images (C, H, W) with Conv2d and on sequences (C, L) with Conv1d, chosen from ``in_shape``.
Pooling is skipped where the feature map is already smaller than the pool, so one config runs on 8x8
digits and on 28x28 MNIST alike.
"""

from __future__ import annotations

import torch
from torch import nn

from dlx.models.common import activation as make_activation
from dlx.models.common import dense_layers, init_weights, width_factor


class CNN(nn.Module):
    def __init__(self, in_shape: tuple[int, ...], n_out: int, channels: list[int] = (16, 32),
                 kernel_size: int = 3, stride: int = 1, padding: str | int = "same", pool: int = 2,
                 hidden: list[int] = (64,), activation: str = "relu", dropout: float = 0.0,
                 input_dropout: float = 0.0, batchnorm: bool = False, init: str = "default",
                 maxout_k: int = 2):
        super().__init__()
        if len(in_shape) not in (2, 3):
            raise ValueError(f"cnn needs (C, L) or (C, H, W) inputs, got one example of shape {in_shape}")
        one_d = len(in_shape) == 2
        conv, bn, mpool = ((nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d) if one_d
                           else (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d))
        if padding == "same" and stride != 1:
            padding = kernel_size // 2  # PyTorch allows 'same' only for stride 1; this keeps ceil(size/stride)
        k = width_factor(activation, maxout_k)
        layers: list[nn.Module] = []
        if input_dropout > 0:
            layers.append(nn.Dropout(input_dropout))
        c = in_shape[0]
        probe = torch.zeros(1, *in_shape)
        for out_c in channels:
            block = [conv(c, out_c * k, kernel_size, stride=stride, padding=padding)]
            if batchnorm:
                block.append(bn(out_c * k))
            block.append(make_activation(activation, maxout_k))
            probe = nn.Sequential(*block)(probe)
            if pool > 1 and min(probe.shape[2:]) >= pool:
                block.append(mpool(pool))
                probe = block[-1](probe)
            layers += block
            c = out_c
        self.features = nn.Sequential(*layers)
        width = probe.numel()
        head = [nn.Flatten(), *dense_layers(width, hidden, n_out, activation, maxout_k, dropout)]
        self.head = nn.Sequential(*head)
        init_weights(self, init)

    def forward(self, x):  # (B, C, H, W) or (B, C, L) -> (B, n_out)
        return self.head(self.features(x))
