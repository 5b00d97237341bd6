"""Regularizers and training techniques that the loop applies (Goodfellow et al. 2016, ch. 7 and 8.7).

Penalties and norm constraints act on weights (tensors with ndim >= 2: Linear/Conv/RNN kernels), not on
biases or norm parameters (Goodfellow et al. 7.1: "we typically penalize only the weights of the affine
transformation"), unless the option says ``params: all``. Every function receives numbers and tensors,
never the config; randomness comes from torch's global generator (seeded per run), on the data's device.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

# ---- penalties and constraints ---------------------------------------------------------------------------
# torch._foreach_* below: torch's multi-tensor kernels, one launch for a list of tensors; no public name (read on
# torch 2.13, the same since 1.13; tests/test_private_apis.py fails when one is gone or computes something else).


def weight_params(model: nn.Module, params: str = "weights") -> list[torch.Tensor]:
    """The tensors a penalty acts on: kernels only (``weights``) or every trainable tensor (``all``)."""
    return [p for p in model.parameters() if _penalised(p, params)]


def weight_names(model: nn.Module, params: str = "weights") -> list[str]:
    """The names of :func:`weight_params`'s tensors, in its order."""
    return [n for n, p in model.named_parameters() if _penalised(p, params)]


def _penalised(p: torch.Tensor, params: str) -> bool:
    return p.requires_grad and (params == "all" or p.ndim >= 2)


def l2_penalty(weights: list[torch.Tensor], alpha: float) -> torch.Tensor:
    """alpha/2 * w^T w (Goodfellow et al. eq. 7.1 with Omega = 1/2 ||w||^2)."""
    return 0.5 * alpha * sum(w.pow(2).sum() for w in weights)


def l1_penalty(weights: list[torch.Tensor], alpha: float) -> torch.Tensor:
    """alpha * sum_i |w_i| (Goodfellow et al. eq. 7.18)."""
    return alpha * sum(w.abs().sum() for w in weights)


@torch.no_grad()
def decoupled_decay(weights: list[torch.Tensor], alpha: float, lr: float) -> None:
    """w <- w - lr * alpha * w after the optimizer step (Loshchilov & Hutter 2019, decoupled weight decay)."""
    torch._foreach_mul_(weights, 1.0 - lr * alpha)


@torch.no_grad()
def max_norm_(weights: list[torch.Tensor], c: float) -> None:
    """Project each unit's incoming weight vector (row of a (out, in) kernel, one filter of a conv kernel)
    back into the ball ||w|| <= c after the step (Goodfellow et al. 7.2; Srivastava et al. 2014, c ~ 3)."""
    for w in weights:
        w.copy_(torch.renorm(w, p=2, dim=0, maxnorm=c))


# ---- noise -----------------------------------------------------------------------------------------------


@torch.no_grad()
def perturb_weights(weights: list[torch.Tensor], std: float) -> list[torch.Tensor]:
    """w <- w + N(0, std^2) for the forward/backward pass of one training step (Goodfellow et al. 7.5,
    noise on the weights); returns the clean weights for :func:`restore_weights` after backward."""
    saved = [w.clone() for w in weights]
    torch._foreach_add_(weights, [torch.randn_like(w) for w in weights], alpha=std)
    return saved


@torch.no_grad()
def restore_weights(weights: list[torch.Tensor], saved: list[torch.Tensor]) -> None:
    torch._foreach_copy_(weights, saved)


def input_noise(x: torch.Tensor, std: float) -> torch.Tensor:
    """x + N(0, std^2) per element (Goodfellow et al. 7.5; Sietsma & Dow 1991)."""
    return x + std * torch.randn_like(x)


# ---- data augmentation -----------------------------------------------------------------------------------


def affine(x: torch.Tensor, angle: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor) -> torch.Tensor:
    """Rotate each example by ``angle`` (radians, (B,)) about its centre and shift it by (dx, dy) pixels
    ((B,) each), in one batched grid_sample. x: (B, C, H, W) images or (B, C, L) sequences (then only dx is
    used). Integer shifts without rotation move pixels exactly; borders repeat the edge value."""
    seq = x.ndim == 3
    img = x.unsqueeze(2) if seq else x  # (B, C, 1, L) for sequences
    h, w = img.shape[-2:]
    cos, sin = torch.cos(angle), torch.sin(angle)
    # affine_grid works in [-1, 1] coordinates: one pixel is 2/W wide and 2/H tall, so a rotation in pixel
    # space has aspect-corrected off-diagonals; output pixel p samples input at theta @ (p, 1).
    theta = torch.stack(
        [
            torch.stack([cos, -sin * h / w, -2 * dx / w], dim=1),
            torch.stack([sin * w / h, cos, -2 * dy / h], dim=1),
        ],
        dim=1,
    ).to(x.dtype)  # (B, 2, 3)
    grid = F.affine_grid(theta, list(img.shape), align_corners=False)
    out = F.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return out.squeeze(2) if seq else out


def augment(x: torch.Tensor, shift: int = 2, rotate: float = 10.0, noise: float = 0.0) -> torch.Tensor:
    """Random per-example shifts of up to ``shift`` pixels, rotations in [-rotate, rotate] degrees (images
    only) and Gaussian noise of std ``noise``, drawn on x's device (Goodfellow et al. 7.4). Labels are
    untouched: these transformations keep the class."""
    b, dev = x.shape[0], x.device
    draw_shift = lambda: torch.randint(-shift, shift + 1, (b,), device=dev).float()
    dx = draw_shift()
    if x.ndim == 4:
        dy = draw_shift()
        angle = (torch.rand(b, device=dev) * 2 - 1) * math.radians(rotate)
    else:
        dy = angle = torch.zeros(b, device=dev)
    out = affine(x, angle, dx, dy)
    return input_noise(out, noise) if noise > 0 else out


def shift_inputs(x: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
    """Each input moved by ``k`` pixels (or steps) in a direction drawn per input from ``generator``: up, down,
    left or right for images (B, C, H, W), left or right for sequences (B, C, L); zeros come in at the edge and
    what leaves is dropped (an exact translation, no resampling). The translation test of notes l. 1799."""
    dims = [x.ndim - 1] if x.ndim == 3 else [x.ndim - 2, x.ndim - 1]
    direction = torch.randint(0, 2 * len(dims), (len(x),), generator=generator).to(x.device)
    out = torch.zeros_like(x)
    for d, dim in enumerate(dims):
        for sign, code in ((1, 2 * d), (-1, 2 * d + 1)):
            chosen = direction == code
            moved = torch.roll(x[chosen], sign * k, dims=dim)
            edge = [slice(None)] * x.ndim
            edge[dim] = slice(0, k) if sign > 0 else slice(-k, None)
            moved[tuple(edge)] = 0  # what rolled over the edge: gone
            out[chosen] = moved
    return out


# ---- adversarial training --------------------------------------------------------------------------------


def fgsm(model: nn.Module, loss_fn, x: torch.Tensor, y: torch.Tensor, epsilon: float) -> torch.Tensor:
    """Fast gradient sign method (Goodfellow et al. 2015; book 7.13): x + epsilon sign(grad_x J(theta, x, y)).
    The gradient is taken w.r.t. the input only (parameter grads are left alone); |x_adv - x| <= epsilon."""
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(loss_fn(model(x).float(), y), x)
    return (x + epsilon * g.sign()).detach()


ATTACKS = ("fgsm", "noise")


def perturb(model: nn.Module, loss_fn, x: torch.Tensor, y: torch.Tensor, kind: str, eps: float) -> torch.Tensor:
    """x moved by eps in every input value (an L-infinity step of size eps): ``fgsm`` along the sign of the
    loss's input gradient (:func:`fgsm`), ``noise`` along a random sign per value, the same size without the
    chosen direction (the control that separates a small change from an adversarial one)."""
    if kind == "noise":
        return x + eps * (torch.randint(0, 2, x.shape, device=x.device).to(x.dtype) * 2 - 1)
    with torch.enable_grad():
        return fgsm(model, loss_fn, x, y, eps)


def attacked_accuracy(model: nn.Module, loss_fn, x: torch.Tensor, y: torch.Tensor, kind: str,
                      eps_list: list[float], batch_size: int) -> dict[float, float]:
    """eps -> the accuracy (eval mode) on (x, y) after :func:`perturb` (``kind``, eps) of every example, for
    notes l. 1078: nets are easily fooled by small changes. Batches of ``batch_size``; one host sync."""
    correct = {eps: torch.zeros((), device=x.device, dtype=torch.long) for eps in eps_list}
    was_training = model.training
    model.eval()
    try:
        for i in range(0, len(x), batch_size):
            xb, yb = x[i:i + batch_size], y[i:i + batch_size]
            for eps in eps_list:
                xa = perturb(model, loss_fn, xb, yb, kind, eps)
                with torch.no_grad():
                    correct[eps] += (model(xa).float().argmax(-1) == yb).sum()
    finally:
        model.train(was_training)
    counts = torch.stack(list(correct.values())).tolist()
    return {eps: c / len(x) for eps, c in zip(eps_list, counts)}


# ---- early stopping --------------------------------------------------------------------------------------


class EarlyStopping:
    """Goodfellow et al. alg. 7.1: evaluate after each epoch, keep a copy of the best weights, stop once
    ``metric`` has failed to improve by more than ``min_delta`` for ``patience`` evaluations in a row.
    mode: max | min | auto (dlx.metrics.direction: max for accuracies)."""

    def __init__(self, metric: str, patience: int, min_delta: float = 0.0, mode: str = "auto"):
        from dlx.metrics import direction

        self.metric, self.patience, self.min_delta = metric, patience, min_delta
        self.mode = direction(metric, mode)
        self.best: float | None = None
        self.best_epoch = 0
        self.best_step = 0  # the optimizer step at the end of best_epoch
        self.bad = 0
        self.state: dict[str, torch.Tensor] | None = None

    def update(self, metrics: dict[str, float], model: nn.Module, epoch: int, step: int = 0) -> bool:
        """Record the evaluation after ``epoch`` (``step`` steps); True when training should stop."""
        value = metrics[self.metric]
        sign = 1.0 if self.mode == "max" else -1.0
        if self.best is None or sign * (value - self.best) > self.min_delta:
            self.best, self.best_epoch, self.best_step, self.bad = value, epoch, step, 0
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.bad += 1
        return self.bad >= self.patience

    def restore(self, model: nn.Module) -> None:
        if self.state is not None:
            model.load_state_dict(self.state)


# ---- teachers: curriculum learning and distillation ------------------------------------------------------


def load_teacher(path: str | Path, build, device) -> nn.Module:
    """The model of a finished dlx run (its folder: checkpoints/best.pt, else last.pt; or a .pt checkpoint),
    frozen in eval mode. ``build(model_cfg)`` makes the model from the config the checkpoint carries, which
    may name only targets dlx itself would build (dlx.checkpoint.check_targets)."""
    from dlx import checkpoint
    from dlx.models.transfer import checkpoint_path

    try:
        path = checkpoint_path(path)
    except ValueError as e:
        raise checkpoint.CheckpointError(str(e).replace("model.init_from", "teacher")) from None
    state = checkpoint.load(path, map_location=device)
    model_cfg = checkpoint.stored_config(state.get("config"), f"checkpoint {path}").get("model")  # the one gate
    if not isinstance(model_cfg, dict) or not isinstance(model_cfg.get("_target_"), str):
        raise checkpoint.CheckpointError(f"checkpoint {path} holds no model config with a _target_; allowed is a "
                                         "checkpoint of a dlx run")
    model = build(model_cfg)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as e:  # a teacher trained on other data (input size, classes): one line, not a traceback
        first = next((ln.strip() for ln in str(e).splitlines()[1:] if ln.strip()), str(e).splitlines()[0])
        raise checkpoint.CheckpointError(f"teacher={path} is wrong: its model does not fit this run's data "
                                         f"({first[:160]}); allowed is a run trained on the same dataset") from None
    model.to(device).eval().requires_grad_(False)
    return model


@torch.no_grad()
def difficulty(
    x: torch.Tensor, y: torch.Tensor, task: str, teacher: nn.Module | None = None, batch_size: int = 1024
) -> torch.Tensor:
    """(N,) difficulty per training example, lower = easier (Bengio et al. 2009, curriculum learning):
    the teacher's loss on it, or without a teacher a cheap proxy, the distance to its class mean
    (prototypical examples first; for regression, the distance of the target to the mean target)."""
    if teacher is not None:
        out = torch.cat([teacher(x[i : i + batch_size]).float() for i in range(0, len(x), batch_size)])
        if task == "classification":
            return F.cross_entropy(out, y, reduction="none")
        return (out - y.view_as(out)).pow(2).flatten(1).mean(1)
    if task != "classification":
        yf = y.float().flatten(1) if y.ndim > 1 else y.float()[:, None]
        return (yf - yf.mean(0)).norm(dim=1)
    xf = x.flatten(1)
    n_cls = int(y.max()) + 1
    means = torch.zeros(n_cls, xf.shape[1], device=x.device).index_add_(0, y, xf)
    means /= torch.bincount(y, minlength=n_cls).clamp_min(1)[:, None].to(xf.dtype)
    return (xf - means[y]).norm(dim=1)


def pool_fraction(epoch: int, start: float, epochs: int) -> float:
    """Share of the easiest examples used in ``epoch`` (0-based): ``start``, growing linearly to 1 at
    ``epochs``."""
    return min(1.0, start + (1.0 - start) * epoch / max(epochs, 1))


def curriculum_perm(order: torch.Tensor, frac: float, n: int, generator: torch.Generator) -> torch.Tensor:
    """(n,) training indices drawn from the easiest ``frac`` of ``order`` (indices sorted easy -> hard):
    the pool is shuffled and tiled to ``n``, so every epoch has the same number of steps."""
    pool = order[: max(1, math.ceil(frac * len(order)))]
    reps = math.ceil(n / len(pool))
    perm = torch.cat(
        [torch.randperm(len(pool), device=pool.device, generator=generator) for _ in range(reps)]
    )
    return pool[perm[:n]]


def soft_target_loss(student: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
    """T^2 KL(softmax(teacher/T) || softmax(student/T)), averaged over the batch (Hinton et al. 2015; the T^2
    keeps its gradient scale independent of T)."""
    t = temperature
    return (
        F.kl_div(
            F.log_softmax(student / t, -1),
            F.log_softmax(teacher / t, -1),
            reduction="batchmean",
            log_target=True,
        )
        * t
        * t
    )


ACT_TYPES = (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.LeakyReLU, nn.PReLU)


def hint_layer(model: nn.Module) -> str:
    """Default guided/hint layer for FitNets: the middle activation module of ``model`` (or its middle
    recurrent layer)."""
    from dlx.models.common import Abs, Maxout

    names = [n for n, m in model.named_modules() if isinstance(m, (*ACT_TYPES, Abs, Maxout, nn.RNNBase))]
    if not names:
        raise ValueError(
            "distill: the model has no activation or recurrent layer to take a hint from; "
            "set regularization.distill.student_layer/teacher_layer to a module name"
        )
    return names[(len(names) - 1) // 2]


def capture(model: nn.Module, name: str, store: dict, key: str):
    """Keep the output of ``model``'s submodule ``name`` in ``store[key]`` on every forward (a hook);
    recurrent layers give their output sequence's last step, (B, H)."""
    modules = dict(model.named_modules())
    if name not in modules:
        raise ValueError(
            f"distill layer={name!r} is not a module of {type(model).__name__}: allowed "
            + ", ".join(n for n in modules if n)[:300]
        )

    def hook(mod, inp, out):
        if isinstance(out, tuple):  # nn.LSTM/GRU/RNN: (output, state)
            out = out[0]
            out = out[:, -1] if getattr(mod, "batch_first", False) else out[-1]
        store[key] = out

    return modules[name].register_forward_hook(hook)


def regressor(student_feat: torch.Tensor, teacher_feat: torch.Tensor) -> nn.Module:
    """FitNets' regressor r from the student's hint layer to the teacher's guided layer (Romero et al. 2015):
    a 1x1 convolution when both are maps of the same size, else a linear map of the flattened features."""
    s, t = student_feat.shape, teacher_feat.shape
    if len(s) == len(t) and len(s) in (3, 4) and s[2:] == t[2:]:
        conv = nn.Conv1d if len(s) == 3 else nn.Conv2d
        return conv(s[1], t[1], kernel_size=1)
    return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(s[1:]), math.prod(t[1:])), nn.Unflatten(1, t[1:]))


def hint_loss(r: nn.Module, student_feat: torch.Tensor, teacher_feat: torch.Tensor) -> torch.Tensor:
    """1/2 ||u_h - r(v_g)||^2 per example (FitNets eq. 3), mean over the batch."""
    return 0.5 * (r(student_feat) - teacher_feat).pow(2).flatten(1).sum(1).mean()


# ---- diagnostics -----------------------------------------------------------------------------------------


@torch.no_grad()
def weight_norms(model: nn.Module) -> dict[str, float]:
    """``weights/<layer>``: the L2 norm of each kernel (the tensors the penalties act on, :func:`weight_params`),
    and ``weights/norm`` of all of them together (notes l. 1010: L2 shrinks the weights). One host sync."""
    named = [(n.rsplit(".", 1)[0] if "." in n else n, p) for n, p in model.named_parameters()
             if p.requires_grad and p.ndim >= 2]
    if not named:
        return {}
    norms = torch.stack(torch._foreach_norm([p.float() for _, p in named]))
    values = [*norms.tolist(), float(norms.pow(2).sum().sqrt())]
    return dict(zip([f"weights/{layer}" for layer, _ in named] + ["weights/norm"], values))


@torch.no_grad()
def update_size(before: list[torch.Tensor], model: nn.Module, lr: float) -> dict[str, float]:
    """One optimizer step's size: ``weights/step`` = ||theta_after - theta_before|| over every trainable tensor,
    and ``weights/step_ratio`` = that over lr * ||g||, g the gradient the step left in .grad (the last
    closure call's). Plain SGD gives 1; momentum's velocity grows it towards 1/(1 - alpha) while successive
    gradients agree (notes l. 1188). ``before``: the trainable tensors' copies from before the step."""
    params = [p for p in model.parameters() if p.requires_grad]
    step = torch.stack(torch._foreach_norm(torch._foreach_sub(params, before))).pow(2).sum().sqrt()
    grads = [p.grad for p in params if p.grad is not None]
    g = torch.stack(torch._foreach_norm(grads)).pow(2).sum().sqrt() if grads else torch.zeros(())
    step, g = step.item(), g.item()
    out = {"weights/step": step}
    if g > 0 and lr > 0:
        out["weights/step_ratio"] = step / (lr * g)
    return out


def grad_norms(model: nn.Module) -> dict[str, float]:
    """Per-layer gradient L2 norm (weights and bias together), layer = parameter name minus its last part.
    One host sync for all layers: call it only when logging."""
    named = [
        (n.rsplit(".", 1)[0] if "." in n else n, p.grad)
        for n, p in model.named_parameters()
        if p.grad is not None
    ]
    if not named:
        return {}
    sq = torch.stack(torch._foreach_norm([g.float() for _, g in named])).pow(2)
    layers: dict[str, list[int]] = {}
    for i, (layer, _) in enumerate(named):
        layers.setdefault(layer, []).append(i)
    norms = torch.stack([sq[idx].sum().sqrt() for idx in layers.values()]).tolist()
    return dict(zip(layers, norms))


def grad_vanish(model: nn.Module, loss, x: torch.Tensor, y) -> float | None:
    """How many orders of magnitude the gradient shrinks on its way back through the net (notes l. 193):
    log10(||dL/dW_last|| / ||dL/dW_first||) of ``loss`` on the examples (x, y), in eval mode, where W_first and
    W_last are the first and the last layer with a weight matrix (biases counted with their layer, as in
    :func:`grad_norms`). 0: the first layer gets as much gradient as the output layer; 4: ten thousand times
    less; a first-layer gradient that underflows to 0 counts as float32's smallest normal number (about 38).
    The parameters' .grad stay untouched (the optimizer's state is not disturbed). None: fewer than two such
    layers, or no gradient at the output layer (nothing to compare with)."""
    named = [(n.rsplit(".", 1)[0] if "." in n else n, n, p) for n, p in model.named_parameters() if p.requires_grad]
    layers = list(dict.fromkeys(layer for layer, name, p in named if p.ndim >= 2 and name.endswith("weight")))
    if len(layers) < 2:
        return None
    ends = [(layer, p) for layer, _, p in named if layer in (layers[0], layers[-1])]
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            out = model(x)
            out = {k: v.float() for k, v in out.items()} if isinstance(out, dict) else out.float()
            grads = torch.autograd.grad(loss(out, y), [p for _, p in ends], allow_unused=True)
    finally:
        model.train(was_training)
    sq = {layers[0]: 0.0, layers[-1]: 0.0}
    for (layer, _), g in zip(ends, grads):
        if g is not None:
            sq[layer] += float(g.float().pow(2).sum())
    first, last = math.sqrt(sq[layers[0]]), math.sqrt(sq[layers[-1]])
    if not (last > 0 and math.isfinite(last) and math.isfinite(first)):
        return None
    return math.log10(last / max(first, torch.finfo(torch.float32).tiny))
