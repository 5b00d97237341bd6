"""Deep undercomplete autoencoder: x_hat = decoder(encoder(x)), trained to reconstruct its input.

encoder: flatten -> Linear(d, h1) -> act -> ... -> Linear(., h_L) -> act     (code: (B, h_L))
decoder: mirror image, Linear(h_L, h_{L-1}) -> act -> ... -> Linear(h1, d) -> out_activation -> (B, *in_shape)
Tied weights (parameter sharing, Goodfellow et al. 7.9 / 14): decoder layer i uses the transpose of encoder
layer i's weight and owns only its bias, which halves the weights. Greedy layer-wise pretraining (Bengio
et al. 2007; Goodfellow et al. 15.1) trains one shallow autoencoder per level on the codes of the level
below; the shallow ones *are* the levels of this network, so afterwards the whole stack is initialised and
the loop fine-tunes it end to end.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from dlx.models.common import activation as make_activation
from dlx.models.common import init_weights


class Autoencoder(nn.Module):
    task = "reconstruction"  # the loop's target is the input itself; forward returns (B, *in_shape)

    def __init__(self, in_shape: tuple[int, ...], n_out: int = 0, hidden: list[int] = (64, 32),
                 activation: str = "sigmoid", out_activation: str = "none", tied: bool = False,
                 init: str = "default"):
        super().__init__()
        # n_out is part of the model contract; a reconstruction's width is the input's, so it is unused.
        if activation == "maxout":
            raise ValueError("model.activation=maxout is not supported by autoencoder: use sigmoid, relu")
        if out_activation not in ("none", "sigmoid"):
            raise ValueError(f"model.out_activation={out_activation!r} is not one of none, sigmoid")
        if not hidden:
            raise ValueError("model.hidden=[] is wrong: give the encoder widths, e.g. [64, 32]")
        self.in_shape = tuple(in_shape)
        d = 1
        for s in self.in_shape:
            d *= s
        widths = [d, *hidden]
        if any(b >= a for a, b in zip(widths, widths[1:])):
            raise ValueError(f"model.hidden={list(hidden)} is wrong: an undercomplete autoencoder needs "
                             f"strictly decreasing widths below the input size {d}")
        self.tied = tied
        enc = [nn.Flatten()]
        for a, b in zip(widths, widths[1:]):
            enc += [nn.Linear(a, b), make_activation(activation)]
        self.encoder = nn.Sequential(*enc)  # (B, *in_shape) -> (B, hidden[-1]); reusable feature extractor
        self.enc_linears = [m for m in self.encoder if isinstance(m, nn.Linear)]  # plain list: no re-register
        # Decoder level i maps widths[i+1] -> widths[i]; stored bottom-up so index i matches encoder level i.
        self.dec_acts = nn.ModuleList(
            [nn.Sigmoid() if out_activation == "sigmoid" else nn.Identity()]
            + [make_activation(activation) for _ in widths[1:-1]])
        if tied:
            self.dec_bias = nn.ParameterList([nn.Parameter(torch.zeros(a)) for a in widths[:-1]])
        else:
            self.dec_linears = nn.ModuleList([nn.Linear(b, a) for a, b in zip(widths, widths[1:])])
        init_weights(self, init)

    def decode_level(self, i: int, h: torch.Tensor) -> torch.Tensor:
        """Level i of the decoder: (B, widths[i+1]) -> (B, widths[i])."""
        if self.tied:
            z = F.linear(h, self.enc_linears[i].weight.t(), self.dec_bias[i])
        else:
            z = self.dec_linears[i](h)
        return self.dec_acts[i](z)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        h = code
        for i in reversed(range(len(self.enc_linears))):
            h = self.decode_level(i, h)
        return h.view(-1, *self.in_shape)

    def forward(self, x):
        return self.decode(self.encoder(x))

    def pretrain_greedy(self, x: torch.Tensor, steps: int, lr: float, batch_size: int,
                        log: Callable[[str, float, int], None] | None = None) -> list[float]:
        """Greedy layer-wise pretraining: level i is a shallow autoencoder h_{i-1} -> h_i -> h_{i-1} trained
        with Adam on MSE for ``steps`` minibatches of ``batch_size`` rows of the (fixed) codes h_{i-1}
        (h_0 = flattened x). Logs ``pretrain/ae<i>/recon_mse`` every 50 steps. Returns the final training MSE
        of each level."""
        h = x.flatten(1).detach()
        finals = []
        for i, lin in enumerate(self.enc_linears):
            act = self.encoder[2 + 2 * i]  # Flatten, Linear, act, Linear, act, ...
            params = list(lin.parameters()) + (
                [self.dec_bias[i]] if self.tied else list(self.dec_linears[i].parameters()))
            opt = torch.optim.Adam(params, lr=lr)
            loss_sum, n = torch.zeros((), device=h.device), 0
            for step in range(1, steps + 1):
                hb = h[torch.randint(0, h.shape[0], (batch_size,), device=h.device)]
                loss = F.mse_loss(self.decode_level(i, act(lin(hb))), hb)
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
            with torch.no_grad():
                h = act(lin(h))  # codes of this level feed the next one
        return finals

    pretrain = pretrain_greedy  # the name the loop calls for every family that has a pretraining phase
