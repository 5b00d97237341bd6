"""What a training step minimises, in one place: the family's loss and every regularizer's part in the step.

A regularizer takes part in the step in one (or more) of four ways, and each way is one list of the
:class:`Parts` the setup hands to the loop:

- ``transforms``: x -> x on the batch before the forward pass (augmentation, input noise);
- ``terms``: objective -> objective after the forward pass (penalties, FGSM, distillation);
- ``around``: perturb the weights for the forward/backward pass and put them back (weight noise);
- ``constraints``: after the optimizer step (decoupled weight decay, max-norm).

Adding a regularizer: its YAML in configs/regularization/ and one builder function in :data:`BUILDERS`
(dropout and batch norm are model arguments, early stopping and curriculum change the loop's schedule of
work; dlx/setup.py wires those).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch import nn

from dlx import checks
from dlx import regularize as R
from dlx.checks import ConfigError

# ---- family losses ---------------------------------------------------------------------------------------


LOSSES = ("auto", "cross_entropy", "mse", "squared_error")
OUTPUTS = ("auto", "softmax", "sigmoid")  # the output units whose values the classification loss compares


def family_loss(kind: str, task: str, n_out: int, smoothing: float = 0.0, output: str = "auto") -> Callable:
    """The loss on the model's pre-activations ``out`` (B, K) and the targets, in one place.

    Classification, with ``output`` units softmax (auto) or sigmoid (one independent unit per class, the
    setting of the course's backprop slide), against one-hot targets t ((1 - eps) one-hot + eps/K with
    ``smoothing``):
    - cross_entropy: softmax: -log o_y; sigmoid: the Bernoulli units' -sum_k [t_k log o_k + (1-t_k) log(1-o_k)];
    - squared_error: the slides' E = 1/2 sum_k (t_k - o_k)^2 (notes l. 614, 688);
    - mse: mean over the K outputs of (t_k - o_k)^2 = squared_error * 2/K (its gradient is 2/K of the slides').
    Each is averaged over the batch. Regression: linear outputs, mse (mean over outputs) or squared_error."""
    checks.one_of("loss", kind, LOSSES)
    checks.one_of("output", output, OUTPUTS)
    if task == "regression":
        if kind == "cross_entropy" or output != "auto":
            wrong = "loss=cross_entropy" if kind == "cross_entropy" else f"output={output}"
            raise ConfigError(f"{wrong} is wrong for a regression dataset: allowed is loss=auto, mse or "
                              "squared_error with output=auto (linear outputs)")
        return F.mse_loss if kind in ("auto", "mse") else lambda out, y: 0.5 * (out - y).pow(2).sum(-1).mean()
    target = lambda y, dt: F.one_hot(y, n_out).to(dt) * (1 - smoothing) + smoothing / n_out  # (B, K)
    squash = torch.sigmoid if output == "sigmoid" else lambda out: out.softmax(-1)
    if kind == "mse":
        return lambda out, y: F.mse_loss(squash(out), target(y, out.dtype))
    if kind == "squared_error":
        return lambda out, y: 0.5 * (target(y, out.dtype) - squash(out)).pow(2).sum(-1).mean()
    if output == "sigmoid":  # from the logits: exact where sigmoid saturates to 0 or 1 in float32
        return lambda out, y: F.binary_cross_entropy_with_logits(out, target(y, out.dtype), reduction="sum") / len(out)
    return lambda out, y: F.cross_entropy(out, y, label_smoothing=smoothing)


class MultiTaskLoss:
    """Weighted sum of per-task losses (cross-entropy for classification targets, MSE for regression)."""

    def __init__(self, kinds: dict[str, str], weights: dict[str, float] | None):
        self.kinds = kinds
        self.weights = {n: float((weights or {}).get(n, 1.0)) for n in kinds}

    def task_loss(self, name: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = out.float()
        return F.cross_entropy(out, y) if self.kinds[name] == "classification" else F.mse_loss(out, y)

    def __call__(self, out: dict[str, torch.Tensor], y: dict[str, torch.Tensor]) -> torch.Tensor:
        return sum(self.weights[n] * self.task_loss(n, out[n], y[n]) for n in self.kinds)


def as_float(out):
    """Outputs in fp32 (autocast's bf16 ones too): a tensor, or name -> tensor for a multi-task model."""
    return {k: v.float() for k, v in out.items()} if isinstance(out, dict) else out.float()


@torch.no_grad()
def evaluate(model, x, y, loss, task: str, batch_size: int, autocast=contextlib.nullcontext) -> dict[str, float]:
    """Mean loss (and accuracy for classification) over (x, y) in eval mode, one host sync at the end. For a
    multi-task model ``loss`` is a :class:`MultiTaskLoss`, ``y`` a dict of targets, and the metrics are
    ``<task>/loss``, ``<task>/acc`` and the weighted ``loss``."""
    was_training = model.training
    model.eval()
    multi = isinstance(loss, MultiTaskLoss)
    names = list(loss.kinds) if multi else []
    sums = {n: torch.zeros((), device=x.device) for n in ["", *names]}
    correct = {n: torch.zeros((), device=x.device, dtype=torch.long) for n in ["", *names]
               if (loss.kinds[n] if n else task) == "classification"}
    for i in range(0, len(x), batch_size):
        sl = slice(i, i + batch_size)
        with autocast():
            out = as_float(model(x[sl]))
        if multi:
            for n in names:
                sums[n] += loss.task_loss(n, out[n], y[n][sl]) * len(out[n])
                if n in correct:
                    correct[n] += (out[n].argmax(-1) == y[n][sl]).sum()
        else:
            sums[""] += loss(out, y[sl]) * len(out)
            if "" in correct:
                correct[""] += (out.argmax(-1) == y[sl]).sum()
    model.train(was_training)
    # one host sync for every number of the split
    names_sums, names_correct = list(sums), list(correct)
    values = torch.stack([*sums.values(), *(c.float() for c in correct.values())]).tolist()
    s = dict(zip(names_sums, values[:len(sums)]))
    c = dict(zip(names_correct, values[len(sums):]))
    if multi:
        metrics = {f"{n}/loss": s[n] / len(x) for n in names}
        metrics["loss"] = sum(loss.weights[n] * metrics[f"{n}/loss"] for n in names)
        metrics.update({f"{n}/acc": c[n] / len(x) for n in names_correct})
        return metrics
    metrics = {"loss": s[""] / len(x)}
    if "" in c:
        metrics["acc"] = c[""] / len(x)
    return metrics


# ---- the objective ---------------------------------------------------------------------------------------


@dataclass
class Parts:
    """Everything the regularizers add to a step (see the module docstring)."""

    transforms: list[Callable] = field(default_factory=list)  # x -> x
    terms: list[Callable] = field(default_factory=list)  # (objective, model, x, y, out, train_loss) -> objective
    around: list = field(default_factory=list)  # .perturb() -> saved, .restore(saved)
    constraints: list[Callable] = field(default_factory=list)  # (optimizer) -> None
    modules: dict[str, nn.Module] = field(default_factory=dict)  # trained beside the model, checkpointed
    train_loss: Callable | None = None  # replaces the family loss in the objective (label smoothing)


class Objective:
    """``backward(model, x, y)``: forward, the family's loss, every term, backward; returns the family's loss
    (what train/loss reports), so regularized and plain runs log comparable numbers."""

    def __init__(self, loss: Callable, parts: Parts, autocast=contextlib.nullcontext, create_graph: bool = False):
        self.loss, self.parts, self.autocast, self.create_graph = loss, parts, autocast, create_graph
        self.train_loss = parts.train_loss or loss

    def backward(self, model: nn.Module, x, y) -> torch.Tensor:
        saved = [a.perturb() for a in self.parts.around]
        with self.autocast():
            out = as_float(model(x))
        loss = self.loss(out, y)
        objective = self.train_loss(out, y) if self.parts.train_loss else loss
        for term in self.parts.terms:
            objective = term(objective, model, x, y, out, self.train_loss)
        objective.backward(create_graph=self.create_graph)
        for a, s in zip(self.parts.around, saved):
            a.restore(s)
        return loss


# ---- the regularizers' builders: one function each ----------------------------------------------------------


@dataclass
class Context:
    """What a builder may use: the model, the data's shape and task, the loss and autocast."""

    model: nn.Module
    task: str
    n_out: int
    x_probe: torch.Tensor  # two training inputs: builders that need a forward pass (distillation) use them
    loss_kind: str
    output: str  # the classification loss's output units (family_loss)
    autocast: Callable
    multitask: bool
    load_teacher: Callable  # (path) -> frozen model
    # The tensors penalties and constraints act on, by R.weight_params's ``which`` (weights|all); None: the
    # model's own. Runs trained as one stack (dlx/sweep/stack.py) give their stacked tensors here.
    weights: Callable[[str], list[torch.Tensor]] | None = None

    def weights_of(self, which: str = "weights") -> list[torch.Tensor]:
        return self.weights(which) if self.weights else R.weight_params(self.model, which)


def _l2(o, ctx: Context, parts: Parts) -> None:
    alpha = checks.non_negative("alpha", o.alpha)
    checks.boolean("decoupled", o.decoupled)
    w = ctx.weights_of(checks.one_of("params", o.params, ("weights", "all")))
    if o.decoupled:  # w <- w - lr alpha w after the step (Loshchilov & Hutter 2019)
        parts.constraints.append(lambda opt: R.decoupled_decay(w, alpha, opt.param_groups[0]["lr"]))
    else:
        parts.terms.append(lambda obj, *_: obj + R.l2_penalty(w, alpha))


def _weight_decay(o, ctx: Context, parts: Parts) -> None:
    """Decoupled weight decay, its own option so that regularization=[l2,weight_decay] applies both."""
    alpha = checks.non_negative("alpha", o.alpha)
    w = ctx.weights_of(checks.one_of("params", o.params, ("weights", "all")))
    parts.constraints.append(lambda opt: R.decoupled_decay(w, alpha, opt.param_groups[0]["lr"]))


def _l1(o, ctx: Context, parts: Parts) -> None:
    alpha = checks.non_negative("alpha", o.alpha)
    w = ctx.weights_of(checks.one_of("params", o.params, ("weights", "all")))
    parts.terms.append(lambda obj, *_: obj + R.l1_penalty(w, alpha))


class _WeightNoise:
    def __init__(self, weights, std):
        self.weights, self.std = weights, std

    def perturb(self):
        return R.perturb_weights(self.weights, self.std)

    def restore(self, saved):
        R.restore_weights(self.weights, saved)


def _weight_noise(o, ctx: Context, parts: Parts) -> None:
    parts.around.append(_WeightNoise(ctx.weights_of("weights"), checks.non_negative("std", o.std)))


def _input_noise(o, ctx: Context, parts: Parts) -> None:
    std = checks.non_negative("std", o.std)
    parts.transforms.append(lambda x: R.input_noise(x, std))


def _augment(o, ctx: Context, parts: Parts) -> None:
    shift, noise = checks.integer("shift", o.shift, 0), checks.non_negative("noise", o.noise)
    rotate = checks.number("rotate", o.rotate, 0, 180)
    parts.transforms.append(lambda x: R.augment(x, shift, rotate, noise))


def _single_output(name: str, ctx: Context) -> None:
    if ctx.multitask:
        raise ConfigError(f"regularization={name} is wrong with a multi-task model: allowed with it are the "
                          "regularizers that do not need a single output")


def _adversarial(o, ctx: Context, parts: Parts) -> None:
    _single_output("adversarial", ctx)
    eps, alpha = checks.non_negative("epsilon", o.epsilon), checks.unit("alpha", o.alpha)

    def term(obj, model, x, y, out, train_loss):  # alpha J(x, y) + (1 - alpha) J(x_adv, y), Goodfellow 7.13
        x_adv = R.fgsm(model, train_loss, x, y, eps)
        with ctx.autocast():
            out_adv = model(x_adv).float()
        return alpha * obj + (1 - alpha) * train_loss(out_adv, y)

    parts.terms.append(term)


def _label_smoothing(o, ctx: Context, parts: Parts) -> None:
    _single_output("label_smoothing", ctx)
    if ctx.task != "classification":
        raise ConfigError("regularization=label_smoothing is wrong for a regression dataset: allowed with "
                          "classification datasets only")
    parts.train_loss = family_loss(ctx.loss_kind, ctx.task, ctx.n_out, checks.probability("eps", o.eps),
                                   ctx.output)


def _max_norm(o, ctx: Context, parts: Parts) -> None:
    c, w = checks.positive("c", o.c), ctx.weights_of("weights")
    parts.constraints.append(lambda opt: R.max_norm_(w, c))


def _distill(o, ctx: Context, parts: Parts) -> None:
    """FitNets (Romero et al. 2015) + soft targets (Hinton et al. 2015); the regressor r trains with the
    student and is checkpointed with it."""
    _single_output("distill", ctx)
    if not isinstance(o.teacher, str) or not o.teacher:
        checks.fail("teacher", o.teacher, "a trained run's folder or checkpoint .pt file")
    t, alpha = checks.positive("temperature", o.temperature), checks.unit("alpha", o.alpha)
    hint_w = checks.non_negative("hint_weight", o.hint_weight)
    teacher = ctx.load_teacher(o.teacher)
    feats: dict[str, torch.Tensor] = {}
    R.capture(ctx.model, o.student_layer or R.hint_layer(ctx.model), feats, "student")
    R.capture(teacher, o.teacher_layer or R.hint_layer(teacher), feats, "teacher")
    with torch.no_grad():
        ctx.model(ctx.x_probe), teacher(ctx.x_probe)
    r = R.regressor(feats["student"], feats["teacher"]).to(ctx.x_probe.device)
    parts.modules["hint_regressor"] = r

    def term(obj, model, x, y, out, train_loss):
        with torch.no_grad():
            t_out = teacher(x).float()
        hint = R.hint_loss(r, feats["student"], feats["teacher"])
        return (1 - alpha) * obj + hint_w * hint + alpha * R.soft_target_loss(out, t_out, t)

    parts.terms.append(term)


def _sparsity(o, ctx: Context, parts: Parts) -> None:
    """alpha * sum_j |h_j| on the code h = encoder(x), averaged over the batch: the sparse autoencoder's penalty
    (Goodfellow et al. 14.2.1), one of the constraints that let an autoencoder's code be wider than its input."""
    alpha = checks.non_negative("alpha", o.alpha)
    if not isinstance(getattr(ctx.model, "encoder", None), nn.Module):
        raise ConfigError(f"regularization=sparsity is wrong with model {type(ctx.model).__name__}: it has no code "
                          "(an encoder) to make sparse; allowed with model=autoencoder")
    codes: dict[str, torch.Tensor] = {}
    R.capture(ctx.model, "encoder", codes, "code")  # (B, code width) of the training step's forward pass
    parts.terms.append(lambda obj, *_: obj + alpha * codes["code"].float().abs().sum(1).mean())


# regularization.<name> -> its builder. dropout and batchnorm are model arguments (dlx/setup.py passes them);
# early_stopping and curriculum change what the loop does between steps (dlx/setup.py builds them).
BUILDERS: dict[str, Callable[[SimpleNamespace, Context, Parts], None]] = {
    "l2": _l2, "weight_decay": _weight_decay, "l1": _l1, "weight_noise": _weight_noise, "input_noise": _input_noise,
    "augment": _augment, "adversarial": _adversarial, "label_smoothing": _label_smoothing,
    "max_norm": _max_norm, "distill": _distill, "sparsity": _sparsity,
}


def build_parts(options: dict[str, dict], ctx: Context) -> Parts:
    """Parts for every option of the regularization group that acts in the step (in the order listed)."""
    parts = Parts()
    for name, opts in options.items():
        if name in BUILDERS:
            try:
                BUILDERS[name](SimpleNamespace(**opts), ctx, parts)
            except ConfigError as e:
                raise checks.in_group(f"regularization.{name}", e) from None
    return parts
