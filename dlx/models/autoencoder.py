"""Deep autoencoder: x_hat = decoder(encoder(x)), trained to reconstruct its input.

Undercomplete (each level narrower than the one below, the notes' l. 1909) or, "aunque puede ser mayor",
overcomplete: a level as wide as the one below or wider could copy its input and learn nothing useful, so such a
net carries ``overcomplete = True`` and dlx/setup.py trains it only beside a constraint (denoising, a sparse code
or weight decay; Goodfellow et al. 14.2, 14.5).

encoder: flatten -> Linear(d, h1) -> act -> ... -> Linear(., h_L) -> act     (code: (B, h_L))
decoder: mirror image, Linear(h_L, h_{L-1}) -> act -> ... -> Linear(h1, d) -> out_activation -> (B, *in_shape)
Tied weights (parameter sharing, Goodfellow et al. 7.9 / 14): decoder layer i uses the transpose of encoder
layer i's weight and owns only its bias, which halves the weights. Greedy layer-wise pretraining (Bengio
et al. 2007; Goodfellow et al. 15.1) trains one shallow autoencoder per level on the codes of the level
below; the shallow ones *are* the levels of this network, so afterwards the whole stack is initialised and
the loop fine-tunes it end to end.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from dlx import checks
from dlx.models.common import INITS, check_activation, check_pretrain, check_regularization, init_weights, plain
from dlx.models.common import activation as make_activation

OUT_ACTIVATIONS = ("none", "sigmoid")


class Autoencoder(nn.Module):
    """Takes ``input_dropout`` (on the input), ``dropout`` and ``batchnorm`` on every hidden layer: each encoder
    level (the code included) and each decoder level but the reconstruction; batch norm sits after the affine
    map, before the activation, and with tied weights follows the transposed encoder weight. Greedy
    pretraining runs without dropout (each level is a plain shallow autoencoder) and with batch norm in
    training mode (its scale and shift learn with the level, its running statistics follow the codes)."""

    task = "reconstruction"  # the loop's target is the input itself; forward returns (B, *in_shape)

    def __init__(self, in_shape: tuple[int, ...], n_out: int = 0, hidden: list[int] = (64, 32),
                 activation: str = "sigmoid", out_activation: str = "none", tied: bool = False,
                 init: str = "default", dropout: float = 0.0, input_dropout: float = 0.0, batchnorm: bool = False):
        # n_out is part of the model contract; a reconstruction's width is the input's, so it is unused.
        in_shape = tuple(plain(in_shape))
        hidden = checks.widths("hidden", plain(hidden), allow_empty=False)
        check_activation(activation, maxout=False)
        checks.one_of("out_activation", out_activation, OUT_ACTIVATIONS)
        checks.boolean("tied", tied)
        checks.one_of("init", init, INITS)
        check_regularization(dropout, input_dropout, batchnorm)
        d = math.prod(in_shape)
        widths = [d, *hidden]
        super().__init__()
        # a level at least as wide as the one below it: a code that could copy its input (see the docstring)
        self.overcomplete = any(b >= a for a, b in zip(widths, widths[1:]))
        self.in_shape = in_shape
        self.tied, self.batchnorm = tied, batchnorm
        enc: list[nn.Module] = [nn.Flatten()]
        if input_dropout > 0:
            enc.append(nn.Dropout(input_dropout))
        # per level (Linear, BatchNorm or None, activation): a plain list, the modules live in self.encoder
        self.levels: list[tuple[nn.Linear, nn.BatchNorm1d | None, nn.Module]] = []
        for a, b in zip(widths, widths[1:]):
            lin, bn, act = nn.Linear(a, b), nn.BatchNorm1d(b) if batchnorm else None, make_activation(activation)
            enc += [lin, *([bn] if bn else []), act, *([nn.Dropout(dropout)] if dropout > 0 else [])]
            self.levels.append((lin, bn, act))
        self.encoder = nn.Sequential(*enc)  # (B, *in_shape) -> (B, hidden[-1]); reusable feature extractor
        self.enc_linears = [lin for lin, _, _ in self.levels]
        # Decoder level i maps widths[i+1] -> widths[i]; stored bottom-up so index i matches encoder level i.
        self.dec_acts = nn.ModuleList(
            [nn.Sigmoid() if out_activation == "sigmoid" else nn.Identity()]
            + [make_activation(activation) for _ in widths[1:-1]])
        if batchnorm:  # decoder levels 1.. are hidden layers; level 0 is the reconstruction
            self.dec_bns = nn.ModuleList([nn.BatchNorm1d(a) for a in widths[1:-1]])
        self.dec_drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        if tied:
            self.dec_bias = nn.ParameterList([nn.Parameter(torch.zeros(a)) for a in widths[:-1]])
        else:
            self.dec_linears = nn.ModuleList([nn.Linear(b, a) for a, b in zip(widths, widths[1:])])
        init_weights(self, init)

    def encode_level(self, i: int, h: torch.Tensor) -> torch.Tensor:
        """Level i of the encoder without its dropout: (B, widths[i]) -> (B, widths[i+1])."""
        lin, bn, act = self.levels[i]
        z = lin(h)
        return act(bn(z) if bn is not None else z)

    def decode_level(self, i: int, h: torch.Tensor) -> torch.Tensor:
        """Level i of the decoder: (B, widths[i+1]) -> (B, widths[i])."""
        if self.tied:
            z = F.linear(h, self.enc_linears[i].weight.t(), self.dec_bias[i])
        else:
            z = self.dec_linears[i](h)
        if i == 0:  # the reconstruction: out_activation only
            return self.dec_acts[0](z)
        if self.batchnorm:
            z = self.dec_bns[i - 1](z)
        return self.dec_drop(self.dec_acts[i](z))

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        h = code
        for i in reversed(range(len(self.enc_linears))):
            h = self.decode_level(i, h)
        return h.view(-1, *self.in_shape)

    def forward(self, x):
        return self.decode(self.encoder(x))

    def level_parameters(self, i: int) -> list[nn.Parameter]:
        """What the shallow autoencoder of level i trains: encoder level i and decoder level i."""
        lin, bn, act = self.levels[i]
        mods = [lin, act, self.dec_acts[i], *([bn] if bn is not None else []),
                *([self.dec_bns[i - 1]] if self.batchnorm and i > 0 else []),
                *([] if self.tied else [self.dec_linears[i]])]
        return [p for m in mods for p in m.parameters()] + ([self.dec_bias[i]] if self.tied else [])

    @staticmethod
    def check_pretrain(**pre) -> dict:
        """The ``pretrain`` keys :meth:`pretrain_greedy` takes (``pretrain.<key>=... is wrong`` otherwise)."""
        return check_pretrain(pre, ("steps", "lr", "batch_size"))

    def pretrain_greedy(self, x: torch.Tensor, steps: int, lr: float, batch_size: int,
                        log: Callable[[str, float, int], None] | None = None) -> list[float]:
        """Greedy layer-wise pretraining: level i is a shallow autoencoder h_{i-1} -> h_i -> h_{i-1} trained
        with Adam on MSE for ``steps`` minibatches of ``batch_size`` rows of the (fixed) codes h_{i-1}
        (h_0 = flattened x). Logs ``pretrain/ae<i>/recon_mse`` every 50 steps. Returns the final training MSE
        of each level. Dropout is off throughout; batch norm trains (batch statistics), and the codes passed
        up are computed in eval mode (running statistics), as the fine-tuned net will see them at test time."""
        was_training = self.training
        h = x.flatten(1).detach()
        finals = []
        try:
            for i in range(len(self.levels)):
                self.train()
                for m in self.modules():  # dropout off: each level is a plain shallow autoencoder
                    if isinstance(m, nn.Dropout):
                        m.eval()
                opt = torch.optim.Adam(self.level_parameters(i), lr=lr)
                loss_sum, n = torch.zeros((), device=h.device), 0
                for step in range(1, steps + 1):
                    hb = h[torch.randint(0, h.shape[0], (batch_size,), device=h.device)]
                    loss = F.mse_loss(self.decode_level(i, self.encode_level(i, hb)), hb)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    loss_sum, n = loss_sum + loss.detach(), n + 1
                    if step % 50 == 0 or step == steps:
                        finals_i = (loss_sum / n).item()  # one host sync per 50 steps
                        if log is not None:
                            log(f"pretrain/ae{i}/recon_mse", finals_i, step)
                        loss_sum, n = torch.zeros((), device=h.device), 0
                finals.append(finals_i if steps > 0 else float("nan"))
                self.eval()
                with torch.no_grad():
                    h = self.encode_level(i, h)  # codes of this level feed the next one
        finally:
            self.train(was_training)
        return finals

    pretrain = pretrain_greedy  # the name the loop calls for every family that has a pretraining phase
