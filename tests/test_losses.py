"""The family losses compute what the course writes: the slides' squared error 1/2 sum_k (t_k - o_k)^2 with
sigmoid or softmax output units, cross-entropy, and dlx's mse (the mean over the K outputs)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from conftest import make_cfg, run_cfg

from dlx import setup
from dlx.checks import ConfigError
from dlx.objective import family_loss

OUT, Y = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 0, 1])  # (B, K) pre-activations net_k, class ids
T = F.one_hot(Y, 4).float()  # (B, K) one-hot targets t_k


def test_squared_error_is_the_slides_half_sum_over_outputs():
    o = OUT.softmax(-1)
    want = torch.stack([0.5 * sum((T[b, k] - o[b, k]) ** 2 for k in range(4)) for b in range(6)]).mean()
    assert torch.allclose(family_loss("squared_error", "classification", 4)(OUT, Y), want)
    # dlx's mse is its mean over the K outputs: 2/K of it, so its gradient is 2/K of the slides'
    mse = family_loss("mse", "classification", 4)(OUT, Y)
    assert torch.allclose(mse, want * 2 / 4)


def test_sigmoid_outputs_give_the_backprop_slides_output_delta():
    # notes l. 670: delta_k = o_k (1 - o_k)(t_k - o_k) = -dE/dnet_k for sigmoid units and E = 1/2 sum (t - o)^2
    net = OUT.clone().requires_grad_()
    family_loss("squared_error", "classification", 4, output="sigmoid")(net, Y).backward()
    o = torch.sigmoid(OUT)
    delta = o * (1 - o) * (T - o)  # (B, K), per example
    assert torch.allclose(-net.grad * len(OUT), delta, atol=1e-6)  # the batch loss is the mean over examples


def test_sigmoid_cross_entropy_is_the_bernoulli_log_loss():
    o = torch.sigmoid(OUT)
    want = -(T * o.log() + (1 - T) * (1 - o).log()).sum(-1).mean()
    got = family_loss("cross_entropy", "classification", 4, output="sigmoid")(OUT, Y)
    assert torch.allclose(got, want, atol=1e-6)
    # from the logits: finite where sigmoid rounds to exactly 1 in float32
    assert torch.isfinite(family_loss("cross_entropy", "classification", 4, output="sigmoid")(OUT * 1e3, Y))


def test_regression_squared_error_and_wrong_pairs():
    out, y = torch.randn(5, 3), torch.randn(5, 3)
    got = family_loss("squared_error", "regression", 3)(out, y)
    assert torch.allclose(got, 0.5 * ((out - y) ** 2).sum(-1).mean())
    assert torch.allclose(family_loss("auto", "regression", 3)(out, y), ((out - y) ** 2).mean())
    for kind, output in (("cross_entropy", "auto"), ("mse", "sigmoid"), ("auto", "softmax")):
        with pytest.raises(ConfigError, match=r"is wrong for a regression dataset: allowed is loss=auto, mse or "
                                              r"squared_error with output=auto"):
            family_loss(kind, "regression", 3, output=output)


@pytest.mark.parametrize("key", ["loss=hinge", "output=tanh"])
def test_wrong_loss_or_output_is_one_line(key):
    with pytest.raises(ConfigError) as e:
        setup.check(make_cfg([key, "device=cpu"]))
    assert "\n" not in str(e.value) and str(e.value).startswith(f"{key} is wrong: allowed is one of auto")


@pytest.mark.parametrize("loss, output, lr", [("squared_error", "sigmoid", 2.0), ("cross_entropy", "sigmoid", 0.5),
                                              ("squared_error", "softmax", 2.0)])
def test_each_loss_and_output_learns_digits(loss, output, lr, tmp_path):
    result = run_cfg([f"loss={loss}", f"output={output}", "optim=sgd", f"optim.lr={lr}", "model.hidden=[32]",
                      "trainer.max_epochs=6", "device=cpu", "trainer.checkpoint=false"], tmp_path)
    assert result["status"] == "completed"
    assert result["best"]["val/acc"] > 0.75  # chance is 0.1
