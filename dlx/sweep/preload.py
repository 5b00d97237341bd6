"""What the fork server of dlx's launchers (pool.py) imports once, so no worker pays it: everything a job imports
on its way, not only dlx.train. Imports only: no tensor arithmetic may run here (a fork after torch has used OpenMP
can hang).

The garbage collector is paused while this imports (its passes over the growing heap cost a fifth of the import
time, and none of it is garbage), then every object is frozen (``gc.freeze``) before the server forks a worker:
the workers' collections skip the million objects they inherit, which otherwise cost each worker's first job
0.3 s in one full collection, and copy every page those objects live on (Python's gc docs describe this use).
"""

import gc
import warnings

gc.disable()
# Each worker runs the parent's main module again as __mp_main__ (multiprocessing's spawn.prepare). For
# `python -m dlx.job` that is dlx.job, imported here already, which runpy warns about; its second run only defines
# names. The filter lives in the server: its workers inherit it, the parent's own warnings are untouched.
warnings.filterwarnings("ignore", message="'dlx.job' found in sys.modules", category=RuntimeWarning)

import torch._dynamo  # noqa: E402, F401  (every optimizer step imports it: about 1 s with sympy)
import torch.utils.flop_counter  # noqa: E402, F401  (trainer.threads=auto)
from hydra.core.plugins import Plugins  # noqa: E402

import dlx.job  # noqa: E402, F401  (the task function, the loop, the setup)
import dlx.objective  # noqa: E402, F401
import dlx.provenance  # noqa: E402
import dlx.sweep.batched  # noqa: E402, F401  (a worker of hydra/launcher=batched trains a stack)

Plugins.instance()  # Hydra's plugin scan: imports each plugin's own dependencies (joblib, submitit) here
dlx.provenance.packages()  # each run's provenance.json lists them: 0.3 s of package metadata, read once here
gc.freeze()
gc.enable()
