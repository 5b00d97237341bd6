"""GPU smoke test for optimizers/regularizers (temporary, not committed)."""
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, "tests")
from conftest import run_cfg

print(torch.cuda.get_device_name(0), torch.__version__, flush=True)
out = {}
root = Path(tempfile.mkdtemp())
teacher = root / "teacher"
r = run_cfg(["model=mlp", "model.hidden=[32]", "trainer.max_steps=20", "device=cuda"], teacher)
print("teacher", r["status"], flush=True)
SMALL = {"mlp": ["model=mlp", "model.hidden=[16]"], "cnn": ["model=cnn", "model.channels=[4]", "model.hidden=[8]"],
         "lstm": ["model=lstm", "model.hidden=8"]}
regs = ["augment", "adversarial", "weight_noise", "input_noise", "early_stopping", "label_smoothing", "max_norm",
        "curriculum", "l1", "l2", "weight_decay", "dropout"]
fails = []
for model, mo in SMALL.items():
    for reg in regs + ["distill"]:
        ov = [f"regularization={reg}", *mo, "trainer.max_steps=6", "trainer.log_every=2", "device=cuda",
              "trainer.grad_norms=true"]
        if reg == "distill":
            ov.append(f"regularization.distill.teacher={teacher}")
        try:
            r = run_cfg(ov, root / f"{model}-{reg}")
            ok = r["status"] == "completed"
        except Exception as e:
            ok, r = False, {"error": repr(e)[:300]}
        if not ok:
            fails.append((model, reg, r.get("error")))
    for opt in ["momentum", "nesterov", "rmsprop", "rmsprop_nesterov", "newton", "cg", "bfgs", "lbfgs"]:
        mo2 = {"mlp": ["model=mlp", "model.hidden=[4]"], "cnn": ["model=cnn", "model.channels=[2]", "model.hidden=[4]"],
               "lstm": ["model=lstm", "model.hidden=4"]}[model]
        ov = [f"optim={opt}", *mo2, "trainer.max_steps=4", "trainer.log_every=1", "device=cuda"]
        t = time.time()
        try:
            r = run_cfg(ov, root / f"{model}-{opt}")
            ok = r["status"] == "completed"
            print(model, opt, r["status"], round(time.time() - t, 2), "s", r["final"].get("val/loss"), flush=True)
        except Exception as e:
            ok, r = False, {"error": repr(e)[:300]}
        if not ok:
            fails.append((model, opt, r.get("error")))
print("FAILS", json.dumps(fails, indent=1), flush=True)
# throughput: plain vs augment vs adversarial, cnn on digits, batch 256, 300 steps
for reg in ["none", "augment", "adversarial", "weight_noise"]:
    r = run_cfg([f"regularization={reg}", "model=cnn", "trainer.max_steps=300", "trainer.batch_size=256",
                 "device=cuda", "trainer.checkpoint=false"], root / f"tp-{reg}")
    print("throughput", reg, r["samples_per_s"], "samples/s", flush=True)
