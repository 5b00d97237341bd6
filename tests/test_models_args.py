"""The model contract the setup relies on: every family takes in_shape, n_out and its YAML keys, checks each key
first (one-line ConfigError), and takes dropout / input_dropout / batchnorm exactly where they make sense."""

from __future__ import annotations

import inspect
import math

import pytest
import torch
import torch.nn.functional as F
from hydra.utils import instantiate
from omegaconf import OmegaConf
from torch import nn

from dlx import CONFIG_DIR
from dlx.checks import ConfigError
from dlx.models.autoencoder import Autoencoder
from dlx.models.cnn import CNN
from dlx.models.dbn import DBN
from dlx.models.lstm import LSTM
from dlx.models.mlp import MLP
from dlx.models.multistream import MultiStream
from dlx.models.multitask import MultiTask
from dlx.models.resnet import ResNet

REG = ("dropout", "input_dropout", "batchnorm")
# family -> (class, small keys, the regularization arguments it takes)
FAMILIES = {
    "mlp": (MLP, {"hidden": [16, 8]}, REG),
    "linear": (MLP, {"hidden": []}, REG),
    "cnn": (CNN, {"channels": [4], "hidden": [8]}, REG),
    "lstm": (LSTM, {"hidden": 8}, ("dropout", "input_dropout")),
    "gru": (LSTM, {"cell": "gru", "hidden": 4, "bidirectional": True, "readout": "all"}, ("dropout", "input_dropout")),
    "resnet": (ResNet, {"width": 4, "blocks": [1]}, ("dropout", "input_dropout")),
    "autoencoder": (Autoencoder, {"hidden": [16, 8]}, REG),
    "autoencoder_tied": (Autoencoder, {"hidden": [16, 8], "tied": True}, REG),
    "dbn": (DBN, {"hidden": [16, 8]}, ("dropout", "input_dropout")),
    "multitask": (MultiTask, {"hidden": [16], "tasks": {"digit": 10, "parity": 2}}, REG),
    "multistream": (MultiStream, {"width": 4, "hidden": [6]}, REG),
}
SHAPE = (1, 8, 8)


def build(family, **kw):
    cls, small, _ = FAMILIES[family]
    return cls(SHAPE, 10, **{**small, **kw})


def out(model, x):  # one tensor whatever the family returns
    y = model(x)
    return torch.cat([v.flatten(1) for v in y.values()], 1) if isinstance(y, dict) else y.flatten(1)


def loss(family, model, x, y):
    if family.startswith("autoencoder"):
        return F.mse_loss(model(x), x)
    if family == "multitask":
        z = model(x)
        return F.cross_entropy(z["digit"], y) + F.cross_entropy(z["parity"], y % 2)
    return F.cross_entropy(model(x), y)


DROPPING = [(f, a) for f, (_, small, takes) in FAMILIES.items() for a in ("dropout", "input_dropout")
            if a in takes and not (a == "dropout" and small.get("hidden") == [])]  # linear: no hidden layer


@pytest.mark.parametrize("family,arg", DROPPING)
def test_dropout_is_random_in_train_mode_and_the_identity_in_eval_mode(family, arg):
    torch.manual_seed(0)
    plain = build(family)
    torch.manual_seed(0)  # the same weights: dropout modules draw nothing at construction
    m = build(family, **{arg: 0.5})
    assert any(isinstance(mod, nn.Dropout) for mod in m.modules())
    x = torch.rand(4, *SHAPE)
    m.eval()
    plain.eval()
    assert torch.equal(out(m, x), out(m, x))
    assert torch.allclose(out(m, x), out(plain, x), atol=1e-6)  # inverted dropout: nothing to rescale at test time
    m.train()  # (after eval: a train-mode pass moves batch norm's running statistics, resnet's included)
    assert not torch.equal(out(m, x), out(m, x))


BN_COUNT = {"mlp": 2, "cnn": 2, "autoencoder": 3, "autoencoder_tied": 3, "multitask": 1, "multistream": 3}


@pytest.mark.parametrize("family", BN_COUNT)
def test_batchnorm_layers_exist_and_train(family):
    torch.manual_seed(0)
    m = build(family, batchnorm=True)
    bns = [mod for mod in m.modules() if isinstance(mod, nn.modules.batchnorm._BatchNorm)]
    assert len(bns) == BN_COUNT[family]  # one per hidden affine/conv layer (the autoencoder's decoder too)
    assert not any(isinstance(mod, nn.modules.batchnorm._BatchNorm) for mod in build(family).modules())
    x, y = torch.randn(32, *SHAPE), torch.randint(0, 10, (32,))
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    m.train()
    losses = []
    for _ in range(15):
        lo = loss(family, m, x, y)
        opt.zero_grad()
        lo.backward()
        opt.step()
        losses.append(lo.item())
    # reconstructing 64 noise values through an 8-wide code gains little in 15 steps; the classifiers fit the batch
    assert losses[-1] < (0.98 if family.startswith("autoencoder") else 0.8) * losses[0]
    assert all(bn.num_batches_tracked.item() == 15 for bn in bns)  # every BN layer saw every step, none at build
    assert all(bn.weight.grad.abs().sum() > 0 for bn in bns)  # and is part of the graph the loss trains


def test_batchnorm_sits_between_the_affine_map_and_the_activation():
    kinds = [type(mod).__name__ for mod in build("mlp", batchnorm=True, dropout=0.5).net]
    assert kinds == ["Flatten", "Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear", "BatchNorm1d", "ReLU",
                     "Dropout", "Linear"]
    kinds = [type(mod).__name__ for mod in build("cnn", batchnorm=True).features]
    assert kinds == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]


@pytest.mark.parametrize("family", FAMILIES)
def test_the_signature_says_which_regularization_a_family_takes(family):
    cls, _, takes = FAMILIES[family]
    params = inspect.signature(cls).parameters
    assert {a for a in REG if a in params} == set(takes)
    assert list(params)[:2] == ["in_shape", "n_out"]
    assert not any(p.kind is p.VAR_KEYWORD for p in params.values())  # the setup reads what is refused from here


# (family, keys, the message's start): each key wrong on its own
WRONG = [
    ("mlp", {"hidden": [16, 0]}, "hidden=[16,0] is wrong: allowed is a list of integers >= 1"),
    ("mlp", {"hidden": 16}, "hidden=16 is wrong"),
    ("mlp", {"activation": "swish"}, "activation=swish is wrong: allowed is one of sigmoid"),
    ("mlp", {"init": "xavier"}, "init=xavier is wrong"),
    ("mlp", {"dropout": 1.0}, "dropout=1.0 is wrong: allowed is a number in [0, 1)"),
    ("mlp", {"dropout": -0.1}, "dropout=-0.1 is wrong"),
    ("mlp", {"input_dropout": 1.5}, "input_dropout=1.5 is wrong"),
    ("mlp", {"batchnorm": "yes"}, "batchnorm=yes is wrong: allowed is true or false"),
    ("mlp", {"maxout_k": 1}, "maxout_k=1 is wrong: allowed is an integer >= 2"),
    ("linear", {"batchnorm": True}, "batchnorm=true is wrong with hidden=[]: "),
    ("cnn", {"channels": [0]}, "channels=[0] is wrong"),
    ("cnn", {"kernel_size": 0}, "kernel_size=0 is wrong"),
    ("cnn", {"kernel_size": 9, "padding": "valid"}, "kernel_size=9 is wrong: allowed is at most 8 here"),
    ("cnn", {"stride": 0}, "stride=0 is wrong"),
    ("cnn", {"padding": "full"}, "padding=full is wrong: allowed is same, valid or an integer >= 0"),
    ("cnn", {"padding": -1}, "padding=-1 is wrong"),
    ("cnn", {"pool": 2}, "pool=2 is wrong: allowed is one of max, avg, sum, min, none (the window's size is "
                         "pool_size)"),
    ("cnn", {"pool": "median"}, "pool=median is wrong: allowed is one of max, avg, sum, min, none"),
    ("cnn", {"pool_size": 0}, "pool_size=0 is wrong"),
    ("cnn", {"pool_every": 0}, "pool_every=0 is wrong"),
    ("cnn", {"first_kernels": "sobel"}, "first_kernels=sobel is wrong: allowed is one of learned, engineered"),
    ("cnn", {"first_kernels": "engineered", "kernel_size": 5}, "first_kernels=engineered is wrong: allowed is "
                                                               "learned unless the net has a conv layer with "
                                                               "kernel_size=3"),
    ("cnn", {"hidden": [-1]}, "hidden=[-1] is wrong"),
    ("cnn", {"activation": "gelu"}, "activation=gelu is wrong"),
    ("cnn", {"init": "he_normal"}, "init=he_normal is wrong"),
    ("cnn", {"shared": "no"}, "shared=no is wrong"),
    ("cnn", {"dropout": 1}, "dropout=1 is wrong"),
    ("cnn", {"input_dropout": "0.2"}, "input_dropout=0.2 is wrong"),
    ("cnn", {"batchnorm": 1}, "batchnorm=1 is wrong"),
    ("cnn", {"maxout_k": 1.5}, "maxout_k=1.5 is wrong"),
    ("lstm", {"cell": "transformer"}, "cell=transformer is wrong: allowed is one of lstm, gru, rnn"),
    ("lstm", {"layers": 0}, "layers=0 is wrong"),
    ("lstm", {"hidden": [8]}, "hidden=[8] is wrong: allowed is an integer >= 1 (units per direction)"),
    ("lstm", {"bidirectional": "no"}, "bidirectional=no is wrong"),
    ("lstm", {"dropout": 1}, "dropout=1 is wrong"),
    ("lstm", {"input_dropout": -1}, "input_dropout=-1 is wrong"),
    ("lstm", {"readout": "first"}, "readout=first is wrong: allowed is one of last, mean, all"),
    ("resnet", {"width": 0}, "width=0 is wrong"),
    ("resnet", {"blocks": []}, "blocks=[] is wrong: allowed is a non-empty list"),
    ("resnet", {"blocks": [2, 0]}, "blocks=[2,0] is wrong"),
    ("resnet", {"activation": "maxout"}, "activation=maxout is wrong: allowed is one of sigmoid, tanh, relu, "
                                         "leaky_relu, prelu, abs"),
    ("resnet", {"dropout": 2}, "dropout=2 is wrong"),
    ("resnet", {"input_dropout": 1}, "input_dropout=1 is wrong"),
    ("autoencoder", {"hidden": []}, "hidden=[] is wrong: allowed is a non-empty list"),
    ("autoencoder", {"activation": "maxout"}, "activation=maxout is wrong"),
    ("autoencoder", {"out_activation": "relu"}, "out_activation=relu is wrong: allowed is one of none, sigmoid"),
    ("autoencoder", {"tied": 1}, "tied=1 is wrong"),
    ("autoencoder", {"init": "ones"}, "init=ones is wrong"),
    ("autoencoder", {"dropout": 1.0}, "dropout=1.0 is wrong"),
    ("autoencoder", {"input_dropout": 1.0}, "input_dropout=1.0 is wrong"),
    ("autoencoder", {"batchnorm": "true"}, "batchnorm=true is wrong"),
    ("dbn", {"hidden": []}, "hidden=[] is wrong"),
    ("dbn", {"visible": "poisson"}, "visible=poisson is wrong: allowed is one of bernoulli, gaussian"),
    ("dbn", {"dropout": 1.0}, "dropout=1.0 is wrong"),
    ("dbn", {"input_dropout": -0.5}, "input_dropout=-0.5 is wrong"),
    ("multitask", {"hidden": []}, "hidden=[] is wrong"),
    ("multitask", {"activation": "softmax"}, "activation=softmax is wrong"),
    ("multitask", {"dropout": 1.0}, "dropout=1.0 is wrong"),
    ("multitask", {"input_dropout": 1.0}, "input_dropout=1.0 is wrong"),
    ("multitask", {"batchnorm": None}, "batchnorm=null is wrong"),
    ("multitask", {"weights": {"colour": 1.0}}, "weights.colour=1.0 is wrong: allowed is a weight for one of the "
                                                "tasks digit, parity"),
    ("multitask", {"weights": {"parity": -1}}, "weights.parity=-1 is wrong: allowed is a number >= 0"),
    ("multitask", {"weights": [1, 2]}, "weights=[1,2] is wrong"),
    ("multitask", {"tasks": {"digit": 0}}, "tasks.digit=0 is wrong"),
    ("multistream", {"streams": []}, "streams=[] is wrong: allowed is a non-empty list of distinct streams"),
    ("multistream", {"streams": ["pixels", "fourier"]}, "streams=[pixels,fourier] is wrong"),
    ("multistream", {"streams": ["pixels", "pixels"]}, "streams=[pixels,pixels] is wrong"),
    ("multistream", {"width": 0}, "width=0 is wrong"),
    ("multistream", {"fuse": "max"}, "fuse=max is wrong: allowed is one of concat, sum"),
    ("multistream", {"hidden": [0]}, "hidden=[0] is wrong"),
    ("multistream", {"activation": "maxout"}, "activation=maxout is wrong"),
    ("multistream", {"dropout": 1.0}, "dropout=1.0 is wrong"),
    ("multistream", {"input_dropout": 1.0}, "input_dropout=1.0 is wrong"),
    ("multistream", {"batchnorm": 0}, "batchnorm=0 is wrong"),
]


@pytest.mark.parametrize("family,keys,start", WRONG, ids=[f"{f}-{next(iter(k))}" for f, k, _ in WRONG])
def test_a_wrong_key_is_one_line_before_anything_is_built(family, keys, start, monkeypatch):
    def built(*a, **kw):
        raise AssertionError("a module was built before the keys were checked")

    monkeypatch.setattr(nn.Module, "__init__", built)
    with pytest.raises(ConfigError) as err:
        build(family, **keys)
    msg = str(err.value)
    assert msg.startswith(start) and "\n" not in msg
    assert msg.startswith(f"{next(iter(keys))}=") or "." in msg.split("=", 1)[0]  # the key, relative to model.


@pytest.mark.parametrize("family", FAMILIES)
def test_the_default_keys_pass_the_checks(family):
    build(family)


PRETRAIN_WRONG = [
    (DBN, {"steps": -1}, "pretrain.steps=-1 is wrong: allowed is an integer >= 0"),
    (DBN, {"steps": 1.5}, "pretrain.steps=1.5 is wrong"),
    (DBN, {"lr": 0}, "pretrain.lr=0 is wrong: allowed is a number > 0"),
    (DBN, {"batch_size": 0}, "pretrain.batch_size=0 is wrong: allowed is an integer >= 1"),
    (DBN, {"k": 0}, "pretrain.k=0 is wrong"),
    (DBN, {"persistent": "yes"}, "pretrain.persistent=yes is wrong: allowed is true or false"),
    (DBN, {"sample_up": 1}, "pretrain.sample_up=1 is wrong"),
    (DBN, {"probe": -1}, "pretrain.probe=-1 is wrong: allowed is an integer >= 0"),
    (DBN, {"momentum": 0.5}, "pretrain.momentum=0.5 is wrong: allowed is only the keys steps, lr, batch_size, k"),
    (Autoencoder, {"lr": -0.1}, "pretrain.lr=-0.1 is wrong"),
    (Autoencoder, {"k": 1}, "pretrain.k=1 is wrong: allowed is only the keys steps, lr, batch_size under pretrain"),
]


@pytest.mark.parametrize("cls,change,start", PRETRAIN_WRONG)
def test_check_pretrain(cls, change, start):
    pre = OmegaConf.load(CONFIG_DIR / "model" / f"{cls.__name__.lower()}.yaml").pretrain
    del pre["inputs"]  # which inputs the phase reads is the setup's key (dlx.setup.pretrain_inputs), not the class's
    assert cls.check_pretrain(**pre) == OmegaConf.to_container(pre)  # the shipped preset passes
    with pytest.raises(ConfigError) as err:
        cls.check_pretrain(**{**pre, **change})
    assert str(err.value).startswith(start)
    with pytest.raises(ConfigError, match="^pretrain.lr=null is wrong"):  # a missing key the phase needs
        cls.check_pretrain(steps=1, batch_size=1)


@pytest.mark.parametrize("option", sorted(p.stem for p in (CONFIG_DIR / "model").glob("*.yaml")))
def test_every_model_preset_builds_through_instantiate(option):
    """Hydra hands lists and mappings over as ListConfig/DictConfig; the checks take them as plain values."""
    node = OmegaConf.load(CONFIG_DIR / "model" / f"{option}.yaml")
    assert not set(REG) & set(node)  # regularization=dropout / batchnorm own these keys
    node = {k: v for k, v in node.items() if k != "pretrain"}
    model = instantiate(node, in_shape=SHAPE, n_out=10)
    assert out(model, torch.rand(2, *SHAPE)).shape[0] == 2


@pytest.mark.parametrize("tied", [False, True])
def test_autoencoder_pretrains_with_dropout_and_batchnorm(tied):
    torch.manual_seed(0)
    x = torch.rand(256, *SHAPE)
    m = Autoencoder(SHAPE, 0, hidden=[16, 8], tied=tied, dropout=0.5, input_dropout=0.2, batchnorm=True)
    m.eval()
    with torch.no_grad():
        before = F.mse_loss(m(x), x).item()
    m.train()
    finals = m.pretrain(x, steps=150, lr=1e-2, batch_size=64)
    assert len(finals) == 2 and all(math.isfinite(f) for f in finals)
    assert m.training and all(d.training for d in m.modules() if isinstance(d, nn.Dropout))  # modes restored
    bns = [b for b in m.modules() if isinstance(b, nn.BatchNorm1d)]
    assert [b.num_batches_tracked.item() for b in bns] == [150, 150, 150]  # each level's BN trained with it
    m.eval()
    with torch.no_grad():
        after = F.mse_loss(m(x), x).item()
    assert after < 0.7 * before


def test_dbn_dropout_leaves_pretraining_alone():
    torch.manual_seed(0)
    x = (torch.rand(200, *SHAPE) > 0.5).float()
    torch.manual_seed(1)
    plain = DBN(SHAPE, 10, hidden=[16])
    plain.pretrain(x, steps=20, lr=0.1, batch_size=20)
    torch.manual_seed(1)
    m = DBN(SHAPE, 10, hidden=[16], dropout=0.5, input_dropout=0.2)
    m.train()
    m.pretrain(x, steps=20, lr=0.1, batch_size=20)
    assert torch.equal(m.rbms[0].W, plain.rbms[0].W)  # the same CD updates, dropout or not
    m.eval()
    assert torch.equal(m.features(x), m.rbms[0].p_h(x.flatten(1)))  # fine-tuned net at test time: mean field


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_builds_on_the_meta_device(family):
    """A dry run builds the model on the meta device: no constructor may need real numbers (no probe forward)."""
    takes = FAMILIES[family][2]
    kw = {a: v for a, v in (("dropout", 0.5), ("input_dropout", 0.2), ("batchnorm", True)) if a in takes}
    if family == "linear":
        kw.pop("batchnorm")
    with torch.device("meta"):
        m = build(family, **kw)
        y = out(m, torch.zeros(2, *SHAPE))
    assert y.is_meta and y.shape[0] == 2


@pytest.mark.parametrize("tied", [False, True])
def test_autoencoder_pretraining_ignores_dropout(tied):
    x = torch.rand(128, *SHAPE)
    weights = []
    for kw in ({}, {"dropout": 0.5, "input_dropout": 0.2}):
        torch.manual_seed(0)  # the same initial weights and minibatches; dropout draws nothing while it is off
        m = Autoencoder(SHAPE, 0, hidden=[16, 8], tied=tied, **kw)
        m.pretrain(x, steps=20, lr=1e-2, batch_size=32)
        weights.append([p.detach().clone() for p in m.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*weights)) and len(weights[0]) == len(weights[1])
