import pytest
import torch
import torch.nn.functional as F

from dlx.checks import ConfigError
from dlx.models.multitask import MultiTask
from tests.models_util import digits


def test_one_head_per_task():
    m = MultiTask((1, 8, 8), 10, tasks={"digit": 10, "parity": 2, "ink": 1}, hidden=[8, 4])
    out = m(torch.rand(3, 1, 8, 8))
    assert {k: v.shape for k, v in out.items()} == {"digit": (3, 10), "parity": (3, 2), "ink": (3, 1)}
    assert MultiTask((1, 40), 10, hidden=[4])(torch.rand(2, 1, 40))["out"].shape == (2, 10)


def test_heads_share_the_trunk():
    m = MultiTask((1, 8, 8), 10, tasks={"digit": 10, "parity": 2}, hidden=[8])
    m(torch.rand(4, 1, 8, 8))["parity"].sum().backward()
    assert m.trunk[1].weight.grad.abs().sum() > 0  # the parity loss trains the shared trunk ...
    assert m.heads["digit"].weight.grad is None  # ... but not the other task's head


def test_weights_default_to_one_and_reject_unknown_tasks():
    m = MultiTask((1, 8, 8), 10, tasks={"digit": 10, "parity": 2}, weights={"parity": 0.5})
    assert m.weights == {"digit": 1.0, "parity": 0.5}
    with pytest.raises(ConfigError, match="^weights.parity=0.5 is wrong: allowed is a weight for one of the tasks"):
        MultiTask((1, 8, 8), 10, tasks={"digit": 10}, weights={"parity": 0.5})


def test_learns_digit_and_parity():
    torch.manual_seed(0)
    x, y, xt, yt = digits()
    tasks = {"digit": (y, yt), "parity": (y % 2, yt % 2)}
    m = MultiTask((1, 8, 8), 10, tasks={"digit": 10, "parity": 2}, hidden=[64], weights={"parity": 0.5})
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    for _ in range(200):
        idx = torch.randint(0, len(x), (64,))
        out = m(x[idx])
        loss = sum(m.weights[k] * F.cross_entropy(out[k], t[0][idx]) for k, t in tasks.items())
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        out = m(xt)
    assert (out["digit"].argmax(1) == yt).float().mean() > 0.85
    assert (out["parity"].argmax(1) == yt % 2).float().mean() > 0.85
