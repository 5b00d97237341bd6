"""Restricted Boltzmann machines and a deep belief network built from them.

RBM (Goodfellow et al. 20.2; Hinton 2010, "A practical guide to training RBMs"), visible v (d), hidden h in
{0,1}^m, weights W (d, m), visible bias b (d), hidden bias c (m):
  Bernoulli-Bernoulli, v in {0,1}^d:
    E(v, h) = -b.v - c.h - v.W.h
    p(h_j = 1 | v) = sigmoid(c_j + v.W[:, j])      p(v_i = 1 | h) = sigmoid(b_i + W[i, :].h)
    F(v) = -log sum_h exp(-E(v, h)) = -b.v - sum_j softplus(c_j + v.W[:, j])
  Gaussian-Bernoulli, v real with unit variance (standardise the data first; Goodfellow et al. 20.5.1):
    E(v, h) = 1/2 ||v - b||^2 - c.h - v.W.h
    p(h_j = 1 | v) as above                         p(v | h) = N(b + W.h, I)
    F(v) = 1/2 ||v - b||^2 - sum_j softplus(c_j + v.W[:, j])
Training: contrastive divergence CD-k (Goodfellow et al. alg. 18.2): the negative phase runs k steps of block
Gibbs sampling h ~ p(h|v), v ~ p(v|h) from the data; persistent CD (alg. 18.3, Tieleman 2008) continues one
chain across updates instead. The log-likelihood gradient is E_data[v h^T] - E_model[v h^T] for W (likewise
v for b, h for c); we use p(h|v) in place of sampled h in both phases to lower the variance (Hinton's
guide 3.3).

DBN (Hinton et al. 2006): RBMs stacked, trained greedily bottom-up, each on the hidden probabilities (or
samples) of the one below; then the stack is read as a sigmoid net (mean field, h_l = p(h_l = 1 | h_{l-1}))
with a linear head on top, and the loop fine-tunes the whole stack by backprop. With ``pretrain.method=
autoencoder`` each RBM's (W, b, c) is trained instead as a tied autoencoder v -> p(h|v) -> E[v|h] (Bengio et al.
2007, "Greedy layer-wise training of deep networks", compared the two initialisations of the same network).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from dlx import checks
from dlx.models.common import check_pretrain, check_regularization, plain

VISIBLE = ("bernoulli", "gaussian")


class RBM(nn.Module):
    def __init__(self, n_visible: int, n_hidden: int, visible: str = "bernoulli"):
        checks.one_of("visible", visible, VISIBLE)
        super().__init__()
        self.visible = visible
        self.W = nn.Parameter(0.01 * torch.randn(n_visible, n_hidden))  # N(0, 0.01^2), Hinton's guide 8
        self.c = nn.Parameter(torch.zeros(n_hidden))  # hidden bias
        # The visible bias only matters to the generative model; discriminative fine-tuning never reads it,
        # so it is a buffer (saved with the weights, but no parameter that optimizers would see without grad).
        self.register_buffer("b", torch.zeros(n_visible))
        self.chain: torch.Tensor | None = None  # persistent CD's fantasy particles (B, d)

    def energy(self, v, h):  # (B, d), (B, m) -> (B,)
        vis = 0.5 * ((v - self.b) ** 2).sum(1) if self.visible == "gaussian" else -(v @ self.b)
        return vis - h @ self.c - ((v @ self.W) * h).sum(1)

    def free_energy(self, v):  # (B, d) -> (B,)
        vis = 0.5 * ((v - self.b) ** 2).sum(1) if self.visible == "gaussian" else -(v @ self.b)
        return vis - F.softplus(v @ self.W + self.c).sum(1)

    def p_h(self, v):  # p(h = 1 | v), (B, d) -> (B, m)
        return torch.sigmoid(v @ self.W + self.c)

    def mean_v(self, h):  # E[v | h], (B, m) -> (B, d)
        z = h @ self.W.t() + self.b
        return z if self.visible == "gaussian" else torch.sigmoid(z)

    def sample_v(self, h):
        mean = self.mean_v(h)
        return mean + torch.randn_like(mean) if self.visible == "gaussian" else torch.bernoulli(mean)

    def gibbs(self, v, k: int):
        """k steps of block Gibbs sampling v -> h -> v."""
        for _ in range(k):
            v = self.sample_v(torch.bernoulli(self.p_h(v)))
        return v

    @torch.no_grad()
    def cd_step(self, v0, lr: float, k: int = 1, persistent: bool = False) -> torch.Tensor:
        """One CD-k (or PCD-k) update on the minibatch v0 (B, d); returns its reconstruction MSE (tensor)."""
        ph0 = self.p_h(v0)
        if persistent:
            if self.chain is None or self.chain.shape != v0.shape or self.chain.device != v0.device:
                self.chain = v0.clone()
            vk = self.chain = self.gibbs(self.chain, k)
        else:
            vk = self.gibbs(v0, k)
        phk = self.p_h(vk)
        n = v0.shape[0]
        self.W += lr * (v0.t() @ ph0 - vk.t() @ phk) / n
        self.b += lr * (v0 - vk).mean(0)
        self.c += lr * (ph0 - phk).mean(0)
        return F.mse_loss(self.mean_v(torch.bernoulli(ph0)), v0)

    @torch.no_grad()
    def fit(self, x, steps: int, lr: float, batch_size: int, k: int = 1, persistent: bool = False,
            log: Callable[[str, float, int], None] | None = None, prefix: str = "rbm") -> float:
        """``steps`` CD updates on random minibatches of x (N, d). Logs ``<prefix>/recon_mse`` and
        ``<prefix>/free_energy`` (per example, on the last minibatch) every 50 steps.
        Returns the last recon MSE."""
        # Visible biases start at the data's log-odds (Bernoulli) or mean (Gaussian): Hinton's guide 8.
        m = x.mean(0)
        self.b.copy_(m if self.visible == "gaussian" else torch.logit(m.clamp(1e-3, 1 - 1e-3)))
        self.chain = None
        total, n, last = torch.zeros((), device=x.device), 0, math.nan
        for step in range(1, steps + 1):
            v0 = x[torch.randint(0, x.shape[0], (batch_size,), device=x.device)]
            total, n = total + self.cd_step(v0, lr, k, persistent), n + 1
            if step % 50 == 0 or step == steps:
                last = (total / n).item()  # one host sync per 50 steps
                if log is not None:
                    log(f"{prefix}/recon_mse", last, step)
                    log(f"{prefix}/free_energy", self.free_energy(v0).mean().item(), step)
                total, n = torch.zeros((), device=x.device), 0
        return last

    def fit_autoencoder(self, x, steps: int, lr: float, batch_size: int,
                        log: Callable[[str, float, int], None] | None = None, prefix: str = "ae") -> float:
        """The RBM's weights trained as a tied autoencoder instead (Bengio et al. 2007's "autoassociator"):
        encode h = p(h|v), decode v_hat = E[v|h] with W^T and the visible bias b, plain SGD on the
        reconstruction's cross-entropy (Bernoulli visibles) or half squared error (Gaussian), summed over the
        d visible units and averaged over the batch, so ``lr`` is per example as in :meth:`fit`.
        Logs ``<prefix>/recon_mse`` every 50 steps; returns the last one."""
        m = x.mean(0)
        with torch.no_grad():
            self.b.copy_(m if self.visible == "gaussian" else torch.logit(m.clamp(1e-3, 1 - 1e-3)))
        b = self.b.clone().requires_grad_()  # a buffer for the loop (see __init__), a parameter here
        opt = torch.optim.SGD([self.W, self.c, b], lr=lr)
        frozen = [p for p in (self.W, self.c) if not p.requires_grad]  # model.freeze holds for fine-tuning only:
        for p in frozen:  # pretraining trains every RBM (CD needs no autograd; this SGD does)
            p.requires_grad_(True)
        try:
            last = self._ae_steps(x, steps, batch_size, b, opt, log, prefix)
        finally:
            for p in frozen:
                p.requires_grad_(False)
        opt.zero_grad(set_to_none=True)  # fine-tuning's optimizer starts from no gradient
        with torch.no_grad():
            self.b.copy_(b)
        return last

    def _ae_steps(self, x, steps: int, batch_size: int, b: torch.Tensor, opt, log, prefix: str) -> float:
        """fit_autoencoder's SGD steps; the last logged recon MSE."""
        total, n, last = torch.zeros((), device=x.device), 0, math.nan
        with torch.enable_grad():
            for step in range(1, steps + 1):
                v0 = x[torch.randint(0, x.shape[0], (batch_size,), device=x.device)]
                z = self.p_h(v0) @ self.W.t() + b  # (B, d) pre-activation of the reconstruction
                if self.visible == "gaussian":
                    loss, v_hat = 0.5 * ((z - v0) ** 2).sum(1).mean(), z
                else:
                    loss = F.binary_cross_entropy_with_logits(z, v0, reduction="none").sum(1).mean()
                    v_hat = torch.sigmoid(z)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total, n = total + F.mse_loss(v_hat.detach(), v0), n + 1
                if step % 50 == 0 or step == steps:
                    last = (total / n).item()  # one host sync per 50 steps
                    if log is not None:
                        log(f"{prefix}/recon_mse", last, step)
                    total, n = torch.zeros((), device=x.device), 0
        return last


class DBN(nn.Module):
    """Stack of RBMs (widths ``hidden``) + linear head. ``visible`` is the first RBM's visible type; higher
    RBMs are Bernoulli-Bernoulli because their visibles are the binary hidden units below.

    Takes ``input_dropout`` (on the visible units) and ``dropout`` (on every hidden layer's probabilities),
    both in fine-tuning only: CD pretraining reads the RBMs directly and never sees them (Srivastava et al.
    2014 fine-tuned pretrained DBNs with dropout this way). No ``batchnorm``: it would rescale the units
    between RBMs, and the stack would no longer be the RBMs' mean-field pass that pretraining trained."""

    def __init__(self, in_shape: tuple[int, ...], n_out: int, hidden: list[int] = (256,),
                 visible: str = "bernoulli", dropout: float = 0.0, input_dropout: float = 0.0):
        hidden = checks.widths("hidden", plain(hidden), allow_empty=False)
        checks.one_of("visible", visible, VISIBLE)
        check_regularization(dropout, input_dropout)
        super().__init__()
        self.in_shape = tuple(plain(in_shape))
        # parameter-free: the state_dict names (rbms.<l>.W, head.weight) are the same with or without dropout
        self.input_drop = nn.Dropout(input_dropout) if input_dropout > 0 else nn.Identity()
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        widths = [math.prod(self.in_shape), *hidden]
        kinds = [visible] + ["bernoulli"] * (len(hidden) - 1)
        self.rbms = nn.ModuleList([RBM(a, b, k) for a, b, k in zip(widths, widths[1:], kinds)])
        self.head = nn.Linear(widths[-1], n_out)

    def features(self, x):  # mean-field pass up the stack: (B, *in_shape) -> (B, hidden[-1])
        h = self.input_drop(x.flatten(1))
        for rbm in self.rbms:
            h = self.drop(rbm.p_h(h))
        return h

    def forward(self, x):
        return self.head(self.features(x))

    @staticmethod
    def check_pretrain(**pre) -> dict:
        """The ``pretrain`` keys: those :meth:`pretrain` takes, and ``probe``, the L-BFGS steps of :meth:`probe`
        that the loop runs after it (``pretrain.<key>=... is wrong`` otherwise)."""
        return check_pretrain(pre, ("steps", "lr", "batch_size", "k", "persistent", "sample_up", "method", "probe"))

    @torch.no_grad()
    def pretrain(self, x, steps: int, lr: float, batch_size: int,
                 log: Callable[[str, float, int], None] | None = None, k: int = 1, persistent: bool = False,
                 sample_up: bool = False, method: str = "cd") -> list[float]:
        """Greedy layer-wise: RBM l gets ``steps`` updates on the layer below's hidden probabilities (binary
        samples of them when ``sample_up``): CD-k updates (``method=cd``, logged under ``pretrain/rbm<l>/...``)
        or SGD steps of the tied autoencoder with the same weights (``method=autoencoder``, Bengio et al. 2007,
        logged as ``pretrain/ae<l>/recon_mse``); ``none`` leaves the random init; ``random`` draws every W again
        from Glorot's U(-a, a), a = sqrt(6 / (fan_in + fan_out)), biases 0: random features at the scale a plain
        sigmoid net starts from, where the RBMs' N(0, 0.01^2) leaves every unit near 0.5 whatever the input (the
        control of a frozen stack's features). Dropout plays no part: the RBMs are trained and read directly,
        not through :meth:`features`."""
        if method == "none":
            return []
        if method == "random":
            for rbm in self.rbms:
                nn.init.xavier_uniform_(rbm.W)  # (fan_in, fan_out) either way round: the bound is symmetric
                rbm.c.zero_()
            return []
        h = x.flatten(1)
        finals = []
        for i, rbm in enumerate(self.rbms):
            if method == "autoencoder":
                finals.append(rbm.fit_autoencoder(h, steps, lr, batch_size, log, prefix=f"pretrain/ae{i}"))
            else:
                finals.append(rbm.fit(h, steps, lr, batch_size, k, persistent, log, prefix=f"pretrain/rbm{i}"))
            h = rbm.p_h(h)
            if sample_up:
                h = torch.bernoulli(h)
        return finals

    @torch.no_grad()
    def units_off(self, x) -> list[float]:
        """Per RBM, the fraction of its hidden units with p(h = 1 | below) < 0.01 for every row of x: units a
        too-fast CD phase has switched off for good (with pretrain.lr 1.0 on batches of 20, all 256 on digits)."""
        was, h, off = self.training, x.flatten(1), []
        self.eval()
        for rbm in self.rbms:
            h = rbm.p_h(h)
            off.append((h.amax(0) < 0.01).float().mean().item())
        self.train(was)
        return off

    def probe(self, x, y, loss: Callable, steps: int, l2: float = 1e-4) -> float:
        """The linear probe of LP-FT (Kumar et al. 2022, "Fine-tuning can distort pretrained features"): the head
        alone, fit by ``steps`` iterations of full-batch L-BFGS to the labeled training examples (x, y) on the
        frozen pretrained features, minimising the run's ``loss`` + ``l2`` ||head.weight||^2, before the loop
        fine-tunes the whole net. Fine-tuning then starts from a net that already classifies (about 0.9 on
        digits) instead of sending a random head's gradients down into the pretrained features (Hinton et al.
        2006 likewise train their DBN's top level with the labels). Returns the final objective."""
        was = self.training
        self.eval()  # the features fine-tuning's eval mode reads: no dropout
        with torch.no_grad():
            f = self.features(x)
        self.train(was)
        opt = torch.optim.LBFGS(self.head.parameters(), lr=1, max_iter=steps, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad(set_to_none=True)
            value = loss(self.head(f), y) + l2 * self.head.weight.square().sum()
            value.backward()
            return value

        with torch.enable_grad():
            opt.step(closure)
            final = closure().item()
        opt.zero_grad(set_to_none=True)  # fine-tuning's optimizer starts from no gradient
        return final

    def filters(self) -> torch.Tensor:
        """First RBM's weights as one image per hidden unit: (m, *in_shape), for TensorBoard."""
        return self.rbms[0].W.detach().t().reshape(-1, *self.in_shape)
