"""What the fork server of dlx's launchers (pool.py) imports once, so no worker pays it: everything a job imports
on its way, not only dlx.train. Imports only: no tensor arithmetic may run here (a fork after torch has used OpenMP
can hang).

The garbage collector is paused while this imports (its passes over the growing heap cost a fifth of the import
time, and none of it is garbage), then every object is frozen (``gc.freeze``) before the server forks a worker:
the workers' collections skip the million objects they inherit, which otherwise cost each worker's first job
0.3 s in one full collection, and copy every page those objects live on (Python's gc docs describe this use).
"""

import gc

gc.disable()

import torch._dynamo  # noqa: E402, F401  (every optimizer step imports it: about 1 s with sympy)
import torch.utils.flop_counter  # noqa: E402, F401  (trainer.threads=auto)
from hydra.core.plugins import Plugins  # noqa: E402

import dlx.objective  # noqa: E402, F401
import dlx.provenance  # noqa: E402
import dlx.sweep.batched  # noqa: E402, F401  (a worker of hydra/launcher=batched trains a stack)
import dlx.train  # noqa: E402, F401  (the loop and the setup: what dlx.job, the task function's module, runs)

Plugins.instance()  # Hydra's plugin scan: imports each plugin's own dependencies (joblib, submitit) here
dlx.provenance.packages()  # each run's provenance.json lists them: 0.3 s of package metadata, read once here
gc.freeze()
gc.enable()
