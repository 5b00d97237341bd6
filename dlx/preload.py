"""What hydra/launcher=parallel's fork server (hydra_plugins/dlx_pool) imports once, so no worker pays it:
everything a job imports on its way, not only dlx.train. It lives outside hydra_plugins/, whose modules Hydra's
plugin scan executes one by one. Imports only: no tensor arithmetic may run here (a fork after torch has used
OpenMP can hang)."""

import torch._dynamo  # noqa: F401  (the first optimizer a job builds imports it: about 1.7 s with sympy)
import torch.utils.flop_counter  # noqa: F401  (trainer.threads=auto)
from hydra.core.plugins import Plugins

import dlx.objective  # noqa: F401
import dlx.setup  # noqa: F401
import dlx.train  # noqa: F401

Plugins.instance()  # Hydra's plugin scan: imports each plugin's own dependencies (joblib, submitit) here
