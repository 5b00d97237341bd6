"""What hydra/launcher=parallel's fork server (hydra_plugins/dlx_pool) imports once, so no worker pays it:
everything a job imports on its way, not only dlx.train. It lives outside hydra_plugins/, whose modules Hydra's
plugin scan executes one by one. Imports only: no tensor arithmetic may run here (a fork after torch has used
OpenMP can hang).

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
import dlx.setup  # noqa: E402, F401
import dlx.train  # noqa: E402, F401

Plugins.instance()  # Hydra's plugin scan: imports each plugin's own dependencies (joblib, submitit) here
dlx.provenance.packages()  # each run's provenance.json lists them: 0.3 s of package metadata, read once here
gc.freeze()
gc.enable()
