"""LeNet/VGG-style convolutional net: stages of [conv -> (BN) -> act] * pool_every -> pool, then an MLP head.

Works on images (C, H, W) with Conv2d and on sequences (C, L) with Conv1d, chosen from ``in_shape``.
Pooling (max, avg, sum or min over non-overlapping windows, notes l. 1775-1781) follows every ``pool_every``-th
convolution: 1 is LeNet's conv-pool-conv-pool, 2 or 3 VGG's stages of several 3x3 convolutions. It is skipped
where the feature map is already smaller than the window, so one config runs on 8x8 digits and on 28x28 MNIST
alike. ``first_kernels=engineered`` fixes the first convolution's kernels to the notes' hand-made filters (Sobel
x and y, emboss; l. 1611-1690) and does not train them: feature engineering, against the learned kernels of
feature learning.
``shared=False`` swaps each convolution for a locally connected layer: the same receptive fields, a
separate kernel at every position (the course's parameter sharing, notes l. 1048, taken away and nothing else).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from dlx import checks
from dlx.models.common import (
    INITS,
    check_activation,
    check_regularization,
    dense_layers,
    init_weights,
    plain,
    width_factor,
)
from dlx.models.common import activation as make_activation


def check_padding(padding) -> None:
    if not (padding in ("same", "valid") or (checks.is_int(padding) and padding >= 0)):
        checks.fail("padding", padding, "same, valid or an integer >= 0")


POOLS = ("max", "avg", "sum", "min", "none")
FIRST_KERNELS = ("learned", "engineered")
# The notes' hand-made 3x3 filters (l. 1611-1690): Sobel's horizontal and vertical gradients, and emboss.
ENGINEERED = torch.tensor([[[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]],
                           [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]],
                           [[-2.0, -2.0, 0.0], [-2.0, 6.0, 0.0], [0.0, 0.0, 0.0]]])


class MinPool(nn.Module):
    """min over non-overlapping windows: -maxpool(-x) (PyTorch has no min pooling)."""

    def __init__(self, maxpool: nn.Module):
        super().__init__()
        self.maxpool = maxpool

    def forward(self, x):
        return -self.maxpool(-x)


def make_pool(kind: str, size: int, one_d: bool) -> nn.Module:
    """One pooling layer over non-overlapping ``size`` windows (stride = size, floor): the notes' max, sum, avg
    or min (l. 1775-1781). Sum is LPPool with p = 1 (the window's sum, (sum x^1)^(1/1))."""
    if kind == "max":
        return (nn.MaxPool1d if one_d else nn.MaxPool2d)(size)
    if kind == "avg":
        return (nn.AvgPool1d if one_d else nn.AvgPool2d)(size)
    if kind == "sum":
        return (nn.LPPool1d if one_d else nn.LPPool2d)(1, size)
    return MinPool((nn.MaxPool1d if one_d else nn.MaxPool2d)(size))


def conv_plan(size: tuple[int, ...], n_convs: int, kernel_size: int, stride: int, padding: int | str,
              pool_size: int, pool_every: int = 1) -> list[tuple[bool, tuple[int, ...]]]:
    """(pooled?, spatial size after the block) for each conv block, from the numbers alone, before any layer
    exists: a conv whose input (plus padding) cannot hold its kernel is a wrong ``kernel_size``. ``size``: one
    example's spatial size, (H, W) or (L,); ``padding`` is "same" only with stride 1 (see CNN); a pool follows
    every ``pool_every``-th conv (``pool_size`` 1: none)."""
    plan = []
    for i in range(n_convs):
        if padding != "same":
            p = 0 if padding == "valid" else padding
            if min(size) + 2 * p < kernel_size:
                checks.fail("kernel_size", kernel_size, f"at most {min(size) + 2 * p} here: conv layer {i + 1} "
                            f"gets a {'x'.join(map(str, size))} map and padding={padding}")
            size = tuple((n + 2 * p - kernel_size) // stride + 1 for n in size)
        # pooling is skipped once maps are smaller than the window
        pooled = pool_size > 1 and (i + 1) % pool_every == 0 and min(size) >= pool_size
        if pooled:
            size = tuple(n // pool_size for n in size)  # every pooling floors
        plan.append((pooled, size))
    return plan


class LocallyConnected(nn.Module):
    """A convolution without weight sharing: at each of the output's positions its own (out, in * kernel) weights
    and its own bias, over the same receptive field the convolution reads (zero padding, stride). Sequences
    (B, C, L) or images (B, C, H, W); ``size``: the input's spatial size. PyTorch has no such layer (nn.Unfold is
    2-D only, and the weights per position are this class's point), so it is written here: unfold the patches,
    one batched matmul per position."""

    def __init__(self, c_in: int, c_out: int, size: tuple[int, ...], kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.k, self.stride, self.pad, self.dims = kernel_size, stride, padding, len(size)
        self.out_size = tuple((n + 2 * padding - kernel_size) // stride + 1 for n in size)
        positions, fan_in = math.prod(self.out_size), c_in * kernel_size ** len(size)
        bound = 1 / math.sqrt(fan_in)  # the bound nn.Conv's default init gives its kernels and biases
        self.weight = nn.Parameter(torch.empty(positions, fan_in, c_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(c_out, positions).uniform_(-bound, bound))

    def forward(self, x):  # (B, C, *size) -> (B, c_out, *out_size)
        if self.dims == 1:
            x = F.pad(x, (self.pad, self.pad)).unfold(2, self.k, self.stride)  # (B, C, L', k)
            patches = x.permute(0, 2, 1, 3).flatten(2)  # (B, L', C * k)
        else:
            patches = F.unfold(x, self.k, padding=self.pad, stride=self.stride).transpose(1, 2)  # (B, H'W', C k k)
        out = torch.einsum("bpf,pfo->bop", patches, self.weight) + self.bias
        return out.reshape(len(x), -1, *self.out_size)


def check_engineered(in_shape: tuple[int, ...], channels: list[int], kernel_size: int, activation: str,
                     shared: bool) -> None:
    """first_kernels=engineered needs what the notes' filters are: 3x3 kernels on images, a first layer, and
    one kernel shared by every position (a convolution)."""
    if len(in_shape) != 3:
        checks.fail("first_kernels", "engineered", "learned for sequences (C, L): the notes' filters are 3x3 "
                    "image kernels")
    if not channels or kernel_size != 3 or activation == "maxout":
        checks.fail("first_kernels", "engineered", "learned unless the net has a conv layer with kernel_size=3 "
                    "and an activation other than maxout (the filters are 3x3, one per channel)")
    if not shared:
        checks.fail("first_kernels", "engineered", "learned with shared=false (a locally connected layer has a "
                    "kernel per position, not the one filter)")


def check_pool(pool: str, pool_size: int, pool_every: int) -> None:
    if checks.is_int(pool):  # the key was the max-pool's size before pool_size existed
        checks.fail("pool", pool, f"one of {', '.join(POOLS)} (the window's size is pool_size)")
    checks.one_of("pool", pool, POOLS)
    checks.count("pool_size", pool_size)
    checks.count("pool_every", pool_every)


class CNN(nn.Module):
    """Takes ``input_dropout`` (on the input image), ``dropout`` (after each hidden layer of the head) and
    ``batchnorm`` (after each conv and each hidden Linear of the head, before the activation)."""

    def __init__(self, in_shape: tuple[int, ...], n_out: int, channels: list[int] = (16, 32),
                 kernel_size: int = 3, stride: int = 1, padding: str | int = "same", pool: str = "max",
                 pool_size: int = 2, pool_every: int = 1, hidden: list[int] = (64,), activation: str = "relu",
                 dropout: float = 0.0, input_dropout: float = 0.0, batchnorm: bool = False, init: str = "default",
                 maxout_k: int = 2, first_kernels: str = "learned", shared: bool = True):
        in_shape = tuple(plain(in_shape))
        channels = checks.widths("channels", plain(channels))
        checks.count("kernel_size", kernel_size)
        checks.count("stride", stride)
        check_padding(padding)
        check_pool(pool, pool_size, pool_every)
        checks.one_of("first_kernels", first_kernels, FIRST_KERNELS)
        hidden = checks.widths("hidden", plain(hidden))
        check_activation(activation, maxout_k)
        check_regularization(dropout, input_dropout, batchnorm)
        checks.one_of("init", init, INITS)
        checks.boolean("shared", shared)
        if len(in_shape) not in (2, 3):
            checks.fail("in_shape", list(in_shape), "(C, L) sequences or (C, H, W) images for model=cnn")
        if first_kernels == "engineered":
            check_engineered(in_shape, channels, kernel_size, activation, shared)
        if padding == "same" and stride != 1:
            padding = kernel_size // 2  # PyTorch allows 'same' only for stride 1; this keeps ceil(size/stride)
        if not shared and padding == "same":  # stride 1: the padding that keeps the size, on both sides alike
            if kernel_size % 2 == 0:
                checks.fail("kernel_size", kernel_size, "an odd number with shared=false and padding=same")
            padding = kernel_size // 2
        pool_size = 1 if pool == "none" else pool_size
        plan = conv_plan(in_shape[1:], len(channels), kernel_size, stride, padding, pool_size, pool_every)
        super().__init__()
        one_d = len(in_shape) == 2
        conv, bn = (nn.Conv1d, nn.BatchNorm1d) if one_d else (nn.Conv2d, nn.BatchNorm2d)
        k = width_factor(activation, maxout_k)
        layers: list[nn.Module] = []
        if input_dropout > 0:
            layers.append(nn.Dropout(input_dropout))
        c, size = in_shape[0], in_shape[1:]
        for out_c, (pooled, after) in zip(channels, plan):
            if shared:
                layers.append(conv(c, out_c * k, kernel_size, stride=stride, padding=padding))
            else:
                layers.append(LocallyConnected(c, out_c * k, size, kernel_size, stride, 0 if padding == "valid"
                                               else padding))
            size = after
            if batchnorm:
                layers.append(bn(out_c * k))
            layers.append(make_activation(activation, maxout_k))
            if pooled:
                layers.append(make_pool(pool, pool_size, one_d))
            c = out_c
        self.features = nn.Sequential(*layers)
        width = c * math.prod(plan[-1][1] if plan else in_shape[1:])  # the last map, flattened for the head
        head = [nn.Flatten(), *dense_layers(width, hidden, n_out, activation, maxout_k, dropout, batchnorm)]
        self.head = nn.Sequential(*head)
        init_weights(self, init)
        if first_kernels == "engineered":
            first = next(m for m in self.features if isinstance(m, nn.Conv2d))
            with torch.no_grad():  # filter j: the bank's (j mod 3)-th, the same on every input channel
                first.weight.copy_(ENGINEERED[torch.arange(channels[0]) % 3][:, None].expand_as(first.weight)
                                   / in_shape[0])
                first.bias.zero_()
            first.requires_grad_(False)  # fixed: the optimizer never sees them (model.freeze's mechanism)

    def forward(self, x):  # (B, C, H, W) or (B, C, L) -> (B, n_out)
        return self.head(self.features(x))
