"""Everything about many runs; the single-run core (setup, train, objective, models, data, track, checkpoint)
never imports it. hydra_plugins/ holds only the faces Hydra scans (a config dataclass and a launch or sweep that
calls in here).

jobs      a sweep's jobs: the grid in launch order, "differs only in seed", compose job i and run it, how many
          processes
pool      hydra/launcher=parallel: a fork server that imported torch and dlx once (preload.py), its workers
batched   hydra/launcher=batched: the jobs that differ only in seed grouped and trained as one stack (stack.py)
resume    resume_sweep=true: which jobs are kept, which run again, a folder of another sweep refused
summary   the end of every multirun: dlx compare, report.html, the exit code of failed jobs
optuna    hydra/sweeper=optuna: Optuna's ask/tell through any launcher, promotion of paused trials, resume, a
          trial's value as the mean over seeds
seeds     hydra/sweeper=seeds: sequential seeds, rounds added only to the pairs still undecided
"""
