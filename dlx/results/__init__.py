"""What many runs say together, read from their run folders: the library behind ``dlx compare`` and ``dlx report``.

runs     find run folders, load each one (result.json, its overrides, its TensorBoard curves), group them by
         their overrides minus the seed, a run's value of a metric
stats    numbers in, numbers out: mean +- std, t-tests (paired, Welch), Holm's adjustment, bootstrap intervals,
         power: minimum detectable effects and the seeds a difference needs
sequential  the group-sequential rule of hydra/sweeper=seeds: which paired comparisons are decided after a round
summary  groups -> columns, ranking, each group tested against #1 (or a baseline): a Summary
tables   a Summary as rows of strings: the console table, summary.md's table
figures  a Summary's curves as a PNG
files    summary.csv, summary.md, runs.csv, curves.png, written atomically
"""
