"""Residual network with batch norm (He et al. 2016, "basic" blocks), 2-D for images and 1-D for sequences.

in_shape (C, H, W) -> Conv2d blocks (8x8 digits, 28x28 MNIST, 32x32x3 CIFAR); (C, L) -> Conv1d blocks
(MNIST-1D). Stem: 3-wide conv to ``width`` channels. Then one stage per entry of ``blocks`` (that many
residual blocks); each stage after the first halves the resolution (stride 2) and doubles the channels. Global
average pooling, linear head. Depth in weight layers = 2 + 2 * sum(blocks). ``residual=false`` drops every
shortcut: the plain net of the same depth, against which He et al. show the residual one's point (a plain net
that gets worse as it gets deeper; notes l. 2153).
"""

from __future__ import annotations

from torch import nn

from dlx import checks
from dlx.models.common import activation as make_activation
from dlx.models.common import check_activation, check_regularization, plain


class Block(nn.Module):
    """y = act(x' + BN(conv(act(BN(conv(x)))))), x' = x or a 1x1 strided projection when the shape changes;
    ``residual=False``: y = act(BN(conv(act(BN(conv(x)))))), the same two layers without the shortcut."""

    def __init__(self, conv, bn, c_in: int, c_out: int, stride: int, act: str, residual: bool = True):
        super().__init__()
        self.conv1 = conv(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = bn(c_out)
        self.act1 = make_activation(act)
        self.conv2 = conv(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = bn(c_out)
        self.act2 = make_activation(act)
        self.residual = residual
        self.shortcut = nn.Identity()
        if residual and (stride != 1 or c_in != c_out):
            self.shortcut = nn.Sequential(conv(c_in, c_out, 1, stride=stride, bias=False), bn(c_out))

    def forward(self, x):
        h = self.act1(self.bn1(self.conv1(x)))
        return self.act2((self.shortcut(x) if self.residual else 0) + self.bn2(self.conv2(h)))


class ResNet(nn.Module):
    """Takes ``input_dropout`` (on the input) and ``dropout`` (on the pooled features, before the head). No
    ``batchnorm`` argument: every conv is already followed by batch norm, which is part of the architecture."""

    def __init__(self, in_shape: tuple[int, ...], n_out: int, width: int = 16, blocks: list[int] = (2, 2),
                 activation: str = "relu", dropout: float = 0.0, input_dropout: float = 0.0, residual: bool = True):
        checks.count("width", width)
        blocks = checks.widths("blocks", plain(blocks), allow_empty=False)
        check_activation(activation, maxout=False)  # maxout changes the channel count; the shortcut cannot follow
        check_regularization(dropout, input_dropout)
        checks.boolean("residual", residual)
        in_shape = tuple(plain(in_shape))
        if len(in_shape) not in (2, 3):
            checks.fail("in_shape", list(in_shape), "(C, H, W) images or (C, L) sequences for model=resnet")
        super().__init__()
        if len(in_shape) == 3:
            conv, bn, pool = nn.Conv2d, nn.BatchNorm2d, nn.AdaptiveAvgPool2d(1)
        else:
            conv, bn, pool = nn.Conv1d, nn.BatchNorm1d, nn.AdaptiveAvgPool1d(1)
        # parameter-free, outside `features`, so the layers keep their state_dict names with or without dropout
        self.input_drop = nn.Dropout(input_dropout) if input_dropout > 0 else nn.Identity()
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        layers = [conv(in_shape[0], width, 3, padding=1, bias=False), bn(width), make_activation(activation)]
        c = width
        for i, n in enumerate(blocks):
            c_out = width * 2**i
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                layers.append(Block(conv, bn, c, c_out, stride, activation, residual))
                c = c_out
        self.features = nn.Sequential(*layers, pool, nn.Flatten())  # (B, c)
        self.head = nn.Linear(c, n_out)

    def forward(self, x):
        return self.head(self.drop(self.features(self.input_drop(x))))
