import pytest
import torch
import torch.nn.functional as F

from dlx.checks import ConfigError
from dlx.models.autoencoder import Autoencoder
from tests.models_util import digits, fit


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("in_shape", [(1, 8, 8), (1, 40)])
def test_shapes(tied, in_shape):
    m = Autoencoder(in_shape, 10, hidden=[16, 4], tied=tied)
    x = torch.randn(3, *in_shape)
    assert m(x).shape == x.shape
    assert m.encoder(x).shape == (3, 4)
    assert Autoencoder.task == "reconstruction"


def test_tied_weights_are_shared():
    untied = Autoencoder((1, 8, 8), 0, hidden=[16, 4])
    tied = Autoencoder((1, 8, 8), 0, hidden=[16, 4], tied=True)
    n = lambda m: sum(p.numel() for p in m.parameters())
    assert n(untied) - n(tied) == 64 * 16 + 16 * 4  # the decoder's weight matrices are gone
    x = torch.rand(2, 1, 8, 8)
    before = tied(x)
    with torch.no_grad():
        tied.encoder[1].weight.mul_(2)  # changes the decoder's first-level weights too
    assert not torch.allclose(before, tied(x))


def test_overcomplete_is_marked():
    assert Autoencoder((1, 8, 8), 0, hidden=[100]).overcomplete
    assert Autoencoder((1, 8, 8), 0, hidden=[32, 32]).overcomplete  # a level as wide as the one below
    assert Autoencoder((1, 8, 8), 0, hidden=[16, 32]).overcomplete
    assert not Autoencoder((1, 8, 8), 0, hidden=[32, 16]).overcomplete
    with pytest.raises(ConfigError, match=r"^hidden=\[\] is wrong"):
        Autoencoder((1, 8, 8), 0, hidden=[])


AE = ["model=autoencoder", "model.hidden=[128]", "dataset=digits", "trainer.batch_size=64", "device=cpu",
      "optim=adam", "optim.lr=0.003"]


@pytest.mark.parametrize("constraint", [[], ["regularization=l2", "regularization.l2.alpha=0"],
                                        ["regularization=dropout"]])
def test_overcomplete_without_a_constraint_is_one_line(constraint, tmp_path):
    from tests.conftest import run_cfg

    with pytest.raises(ConfigError) as e:
        run_cfg([*AE, "trainer.max_steps=1", *constraint], tmp_path)
    assert str(e.value).startswith("model.hidden=[128] is wrong without a constraint") and "\n" not in str(e.value)
    assert "allowed is strictly decreasing widths below the input size 64" in str(e.value)
    assert not (tmp_path / "result.json").exists()


def _code_l1(run_dir) -> tuple[float, float]:
    """(val/recon_mse, mean sum |h| of the code over the test inputs) of a finished run."""
    import json

    state = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)
    m = Autoencoder((1, 8, 8), 0, hidden=[128])
    m.load_state_dict(state["model"])
    x = digits()[2]  # digits in [0, 1], as dataset=digits reads them
    with torch.no_grad():
        code = m.encoder(x).abs().sum(1).mean().item()
    return json.loads((run_dir / "result.json").read_text())["best"]["val/recon_mse"], code


def test_overcomplete_with_each_constraint_learns_and_sparsity_makes_a_sparser_code(tmp_path):
    from tests.conftest import run_cfg

    runs = {"noise": ["regularization=input_noise", "regularization.input_noise.std=0.2"],
            "decay": ["regularization=weight_decay", "regularization.weight_decay.alpha=1e-4"],
            "sparse": ["regularization=[weight_decay,sparsity]", "regularization.weight_decay.alpha=1e-4",
                       "regularization.sparsity.alpha=1e-3"]}
    out = {}
    for name, extra in runs.items():
        assert run_cfg([*AE, "trainer.max_epochs=4", *extra], tmp_path / name)["status"] == "completed"
        out[name] = _code_l1(tmp_path / name)
    x = digits()[2]
    baseline = F.mse_loss(x.mean(0, keepdim=True).expand_as(x), x).item()  # the mean image for every input
    assert out["noise"][0] < 0.6 * baseline and out["decay"][0] < 0.6 * baseline, (out, baseline)
    assert out["sparse"][0] < 0.8 * baseline, (out, baseline)  # it pays for its sparse code in reconstruction
    assert out["sparse"][1] < 0.5 * out["decay"][1], out  # the L1 term shrinks the code, the same net otherwise


def test_learns_to_reconstruct_digits():
    torch.manual_seed(0)
    x, _, xt, _ = digits()
    m = Autoencoder((1, 8, 8), 0, hidden=[32, 16], activation="relu")
    first, last = fit(m, x, x, steps=300, loss_fn=F.mse_loss)
    with torch.no_grad():
        mse = F.mse_loss(m(xt), xt).item()
    baseline = F.mse_loss(x.mean(0, keepdim=True).expand_as(xt), xt).item()  # predict the mean image
    assert last < 0.5 * first
    assert mse < 0.6 * baseline


@pytest.mark.parametrize("tied", [False, True])
def test_greedy_pretraining_initialises_the_stack(tied):
    torch.manual_seed(0)
    x, _, xt, _ = digits()
    m = Autoencoder((1, 8, 8), 0, hidden=[32, 16], activation="sigmoid", tied=tied)
    with torch.no_grad():
        before = F.mse_loss(m(xt), xt).item()
    logged = []
    finals = m.pretrain_greedy(x, steps=200, lr=1e-2, batch_size=64, log=lambda *a: logged.append(a))
    with torch.no_grad():
        after = F.mse_loss(m(xt), xt).item()
    assert len(finals) == 2
    assert {name for name, _, _ in logged} == {"pretrain/ae0/recon_mse", "pretrain/ae1/recon_mse"}
    assert after < 0.5 * before  # the stacked shallow autoencoders already reconstruct


def test_encoder_is_a_feature_extractor():
    torch.manual_seed(0)
    x, y, xt, yt = digits()
    ae = Autoencoder((1, 8, 8), 0, hidden=[32], activation="relu")
    fit(ae, x, x, steps=200, loss_fn=F.mse_loss)
    clf = torch.nn.Sequential(ae.encoder, torch.nn.Linear(32, 10))
    for p in ae.encoder.parameters():
        p.requires_grad_(False)
    frozen = ae.encoder[1].weight.clone()
    fit(clf, x, y, steps=200)
    assert torch.equal(ae.encoder[1].weight, frozen)
    assert (clf(xt).argmax(1) == yt).float().mean() > 0.8
