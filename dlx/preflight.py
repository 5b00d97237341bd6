"""The CLI's check before Hydra starts anything: every entry point of `dlx train` (a run, `-m` sweeps,
`--config-dir`, `resume=`) composes each job's config as Hydra will and builds it without training
(dlx.setup.check), so a wrong value is one line and exit 2 before any folder exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from dlx import CONFIG_DIR, checks, runfolder
from dlx.checks import ConfigError
from dlx.runfolder import override_key
from dlx.sweep.jobs import MAX_CHECKED, check_jobs, grid, processes

MAX_SHOWN = 5  # wrong jobs listed, one line each
DLX_LAUNCHERS = ("dlx_pool.launcher.PoolLauncher", "dlx_batched.launcher.BatchedLauncher")  # fork workers
# Hydra flags that only print or complete: nothing trains, so nothing to check.
PRINT_ONLY = {"-h", "--help", "--hydra-help", "--info", "-i", "--cfg", "-c", "--shell-completion", "-sc",
              "--version"}
MULTIRUN = {"-m", "--multirun"}
# Hydra's modes: it runs one of them (hydra/_internal/utils.py, run_and_report: "Only one of --run, --multirun,
# --cfg, --info and --shell_completion can be specified", a ValueError with a traceback)
MODES = {"-m": "--multirun", "--multirun": "--multirun", "-c": "--cfg", "--cfg": "--cfg", "-i": "--info",
         "--info": "--info", "-sc": "--shell-completion", "--shell-completion": "--shell-completion"}
PLUGIN_EXTRAS = {"hydra/sweeper": "sweep", "hydra/launcher": "slurm"}  # the pyproject extra of dlx's configs there


def _quote(value: str) -> str:
    """A path as a Hydra override value (quoted when it holds characters the override grammar reserves)."""
    return value if re.fullmatch(r"[\w./\-:~+@]+", value) else "'" + value.replace("'", "\\'") + "'"


def resume_args(args: list[str]) -> list[str] | None:
    """``resume=<run folder>`` -> the arguments given now, then that run's own overrides (from its
    .hydra/overrides.yaml, each checked by :func:`saved_overrides`) except those given now (which win), then
    ``resume`` and ``hydra.run.dir`` pointing at the folder, so Hydra composes the same config and the loop
    continues in the same folder. None when the run already finished and nothing changed."""
    folder = resume_folder(args)
    if folder is None:
        return args
    value = str(folder)
    saved_file = folder / ".hydra" / "overrides.yaml"
    if not saved_file.is_file():
        raise ConfigError(f"resume={value} is wrong: {folder} is not a dlx run folder (it has no "
                          ".hydra/overrides.yaml); allowed is the folder of a run, e.g. outputs/runs/<day>/<time>")
    runfolder.refuse_links(folder)  # before Hydra writes .hydra/*.yaml and train.log there
    extra = [a for a in args if override_key(a) not in ("resume", "hydra.run.dir")]
    status = runfolder.status_of(folder)
    if not extra and status in runfolder.TESTED:
        print(f"dlx: {folder} already finished ({status}); nothing to resume")
        return None
    keys = {override_key(a) for a in extra}
    saved = [o for o in saved_overrides(saved_file) if override_key(o) not in keys | NOT_REPLAYED]
    where = _quote(str(folder))
    # The given arguments first, in their order (Hydra flags stay before the overrides, as argparse needs).
    return [*extra, *saved, f"resume={where}", f"hydra.run.dir={where}"]


def resume_folder(args: list[str]) -> Path | None:
    """The folder ``resume=`` names among ``args`` (the last one given), None without one."""
    given = [a for a in args if override_key(a) == "resume"]
    value = given[-1].split("=", 1)[1] if given else "null"
    return None if value in ("null", "", "None") else Path(value.strip("'\"")).expanduser()


# Saved overrides a resumed run does not take: where it runs is the folder itself; ``trial`` names an Optuna
# storage to report to, which only the sweeper sets (its resume_sweep=true passes it again), and which from a
# folder could name any file to append to or any database server to reach; ``overwrite`` replaced an earlier run
# when the run started, and means nothing to the run it continues.
NOT_REPLAYED = {"resume", "hydra.run.dir", "trial", "overwrite"}
MAX_SAVED = 100_000  # characters of a saved overrides.yaml (dlx writes a few hundred)


def saved_overrides(source: Path) -> list[str]:
    """A run folder's .hydra/overrides.yaml as the overrides a resumed run may take from it: a file anyone could
    have edited, so only plain ``key=value`` overrides of the config (``+key=value`` adds one), each parsed
    with Hydra's own override grammar: no Hydra flags (--experimental-rerun unpickles a file, --config-dir
    widens the target gate), no ``hydra.*`` or ``hydra/...``, no deletions, packages or sweeps, no
    interpolation at all (``${oc.env:...}`` reads the environment), no ``..`` in a config group's option (a
    YAML file elsewhere), and no ``_target_`` but those of dlx's configs and --config-dir, nested ones in a
    dict value included. ConfigError (one line) for the first one that is not."""
    import yaml

    try:
        text = source.read_text()
        stored = yaml.safe_load(text) if len(text) <= MAX_SAVED else None
        assert isinstance(stored, list) and all(isinstance(o, str) for o in stored)
    except Exception:
        raise ConfigError(f"resume={source.parent.parent} is wrong: {source} cannot be read as a list of overrides; "
                          "allowed is the folder of a run that dlx wrote") from None
    parser, allowed = OverridesParser.create(), None
    for o in stored:
        why = None
        try:
            parsed = None if o.lstrip().startswith("-") else parser.parse_overrides([o])[0]
        except HydraException:
            parsed = None
        if parsed is None:
            why = "is not a plain key=value override (a Hydra flag, or not an override at all)"
        elif parsed.key_or_group.split("/")[0].split(".")[0] == "hydra":
            why = "changes Hydra itself"
        elif parsed.is_delete() or parsed.package is not None or parsed.is_sweep_override():
            why = "is a deletion, a package or a sweep, not a plain key=value override"
        else:
            why = _unsafe_value(parsed.key_or_group, parsed.value())
            if why is None and parsed.key_or_group.endswith("_target_"):
                from dlx import checkpoint

                allowed = checkpoint.config_targets(checkpoint.search_dirs()) if allowed is None else allowed
                why = None if parsed.value() in allowed else "names a _target_ dlx would not build"
        if why:
            raise ConfigError(f"{source} holds the override {o[:120]}, which {why}; a resumed run takes from a run "
                              "folder only plain key=value overrides of the config's own keys (allowed are the "
                              "targets of dlx's configs and --config-dir, values without ${...})")
    return stored


def _unsafe_value(key: str, value) -> str | None:
    """Why an override value from a run folder is refused (None: it is not): an interpolation anywhere in it, a
    nested ``_target_``, or a config group option that climbs out of the config folders."""
    if isinstance(value, dict):
        if any(str(k).endswith("_target_") for k in value):
            return "names a _target_ inside its value"
        return next((w for v in value.values() if (w := _unsafe_value(key, v))), None)
    if isinstance(value, list):
        return next((w for v in value if (w := _unsafe_value(key, v))), None)
    if isinstance(value, str):
        if "${" in value:
            return "holds an interpolation ${...}"
        if "." not in key and ".." in Path(value).parts:
            return "names a config option outside the config folders"
    return None


def _one_line(e: Exception, args: list[str], dirs: list[str] = ()) -> str:
    """Hydra's multi-line composition errors, as the one line ``key=value is wrong: allowed ...``."""
    text = str(e)
    given = {override_key(a): a for a in args}
    m = re.search(r"Could not (?:find|load) '([^']+)/([^'/]+)'", text)
    if m:
        group, option = m.groups()
        chosen = given.get(group, "=").split("=", 1)[1] or option  # local: its config names submitit_local
        if group.startswith("hydra/") and (CONFIG_DIR / group / f"{chosen}.yaml").is_file():
            return (f"{group}={chosen} is wrong: it needs an optional plugin that is not installed; install it "
                    f'with pip install "dlx[{PLUGIN_EXTRAS.get(group, "sweep")}]"')
        options = sorted({p.stem for d in (CONFIG_DIR, *map(Path, dirs)) for p in (Path(d) / group).glob("*.yaml")})
        allowed = f"one of {', '.join(options)}" if options else f"an option in {CONFIG_DIR / group}/"
        return f"{group}={option} is wrong: allowed is {allowed}"
    m = re.search(r"Could not override '([^']+)'", text) or re.search(r"Key '([^']+)' is not in struct", text)
    if m:
        key = m.group(1)
        return (f"{given.get(key, key)} is wrong: {key} is not a key of the config (check the spelling; "
                f"`dlx train --cfg job` lists the keys, and +{key}=... adds a new one)")
    for a in args:  # a syntax error: find the override the grammar rejects
        try:
            OverridesParser.create().parse_overrides([a])
        except HydraException as pe:
            first = str(pe).strip().splitlines()[0]
            return f"{a} cannot be parsed ({first}); quote values that hold special characters"
    m = re.search(r"Interpolation key '([^']+)' not found", text)
    if m:
        key = re.search(r"full_key: (\S+)", text)
        where = key.group(1) if key else "a value"
        return (f"{where} refers to ${{{m.group(1)}}}, which is not a key of the config; allowed are "
                "interpolations of existing keys, e.g. ${optim.lr}")
    first = text.strip().splitlines()[0] if text.strip() else type(e).__name__
    return f"the config cannot be composed: {first}"


def _flags(args: list[str]) -> tuple[list[str], list[str], list[str], bool, bool]:
    """(flags, overrides, --config-dir folders, multirun, print_only) from `dlx train`'s arguments; ``flags``
    are the Hydra flags with their values, in their order."""
    flags, overrides, dirs, multirun, print_only = [], [], [], False, False
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--config-dir", "-cd"):
            dirs.append(args[i + 1] if i + 1 < len(args) else "")
            flags += args[i:i + 2]
            i += 1
        elif a.startswith("--config-dir="):
            dirs.append(a.split("=", 1)[1])
            flags.append(a)
        elif a in MULTIRUN:
            multirun = True
            flags.append(a)
        elif a in PRINT_ONLY or a.split("=", 1)[0] in PRINT_ONLY:
            print_only = True
        elif a in ("--config-name", "-cn", "--config-path", "-cp", "--experimental-rerun"):
            print_only = True  # another primary config: Hydra checks it
        elif not a.startswith("-"):
            overrides.append(a)
        else:
            flags.append(a)
        i += 1
    return flags, overrides, dirs, multirun, print_only


def _compose(overrides: list[str], dirs: list[str], hydra_cfg: bool = False):
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    extra = [f"hydra.searchpath=[{','.join('file://' + str(Path(d).resolve()) for d in dirs)}]"] if dirs else []
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
            return compose(config_name="train", overrides=[*overrides, *extra], return_hydra_config=hydra_cfg)
    except (HydraException, OmegaConfBaseException) as e:
        raise ConfigError(_one_line(e, overrides, dirs)) from None
    finally:
        GlobalHydra.instance().clear()


def _check(overrides: list[str], dirs: list[str], untrusted: Path | None = None):
    """Compose and build one job without training. ``untrusted``: the run folder its overrides came from, whose
    composed config may then name only the _target_s of dlx's configs and ``dirs`` (checked before anything
    is built)."""
    from dlx import checkpoint, setup

    cfg = _compose(overrides, dirs)
    try:
        if untrusted is not None:
            allowed = checkpoint.config_targets([CONFIG_DIR, *dirs])
            checkpoint.check_targets(OmegaConf.to_container(cfg, resolve=False), f"resume={untrusted}", allowed)
        return setup.check(cfg)
    except setup.USER_ERRORS as e:  # data files and checkpoints too: one line each
        if isinstance(e, ConfigError):
            raise
        raise ConfigError(str(e)) from None
    except OmegaConfBaseException as e:  # an interpolation that does not resolve, e.g. ${nonexistent.key}
        raise ConfigError(_one_line(e, overrides, dirs)) from None


def jobs(overrides: list[str], dirs: list[str]) -> tuple[list[list[str]] | None, DictConfig]:
    """(a basic sweep's jobs in launch order: its hydra.sweeper.params, then the command line, expanded as Hydra's
    BasicSweeper does, or None for other sweepers, whose values are chosen as they go; the composed config of the
    command's fixed values, with its hydra node)."""
    parser = OverridesParser.create()
    try:
        parsed = parser.parse_overrides(overrides)
    except HydraException as e:
        raise ConfigError(_one_line(e, overrides, dirs)) from None
    plain = [o.input_line for o in parsed if not o.is_sweep_override()]
    composed = _compose(plain, dirs, hydra_cfg=True)
    hydra_cfg = composed.hydra
    n_jobs = hydra_cfg.launcher.get("n_jobs", "auto")
    if str(hydra_cfg.launcher.get("_target_", "")).endswith(DLX_LAUNCHERS) and n_jobs != "auto" and \
            (isinstance(n_jobs, bool) or not isinstance(n_jobs, int)):
        raise ConfigError(f"hydra.launcher.n_jobs={n_jobs} is wrong: allowed is auto or an integer (0: one job "
                          "per core)")
    _check_cluster(hydra_cfg.launcher)
    if str(hydra_cfg.sweeper.get("_target_", "")).endswith("OptunaSweeper"):
        _check_search(hydra_cfg.sweeper, overrides)
    if str(hydra_cfg.sweeper.get("_target_", "")).endswith("SeedsSweeper"):
        return _seed_arms(hydra_cfg.sweeper, overrides), composed  # each arm checked as a grid's job
    if not str(hydra_cfg.sweeper.get("_target_", "")).endswith("BasicSweeper"):
        return None, composed
    return grid(hydra_cfg.sweeper.get("params"), overrides), composed


def _check_cluster(launcher) -> None:
    """hydra.launcher.tasks of the packed cluster launchers, and hydra/launcher=ray's address (dlx/sweep/cluster.py)."""
    from dlx.sweep import cluster

    if str(launcher.get("_target_", "")).endswith("RayLauncher"):
        cluster.check_ray(launcher.get("address"), launcher.get("tasks"))
    elif "tasks" in launcher:
        cluster.check_tasks(launcher.get("tasks"))


def _seed_arms(sweeper, overrides: list[str]) -> list[list[str]]:
    """hydra/sweeper=seeds: its design's numbers, metric settings and arms (no swept seed, two arms or more)."""
    from dlx.results.sequential import Design

    design = Design(*(sweeper.get(k) for k in ("first", "step", "most", "alpha", "spending", "margin", "futility")))
    if design.problem():
        raise ConfigError(f"hydra.sweeper.{design.problem()}")
    if sweeper.get("by") not in ("best", "final"):
        checks.fail("hydra.sweeper.by", sweeper.get("by"), "best or final (the metric's value the pairs compare)")
    if sweeper.get("mode") not in (None, "max", "min"):
        checks.fail("hydra.sweeper.mode", sweeper.get("mode"), "null, max or min")
    params = sweeper.get("params") or {}
    if any(override_key(k) == "seed" for k in params) or any(override_key(o) == "seed" for o in overrides):
        raise ConfigError("seed=... is wrong with hydra/sweeper=seeds: the sweeper runs seeds 0, 1, ... itself; "
                          "allowed are hydra.sweeper.first, step and most (how many seeds, and when)")
    arms = grid(params, overrides)
    if len(arms) < 2:
        raise ConfigError("hydra/sweeper=seeds is wrong with a single arm: allowed is a sweep of two or more "
                          "settings to compare, e.g. optim.lr=0.001,0.1")
    return arms


def _claims(cfg) -> tuple[list, dict[str, list[str]]]:
    """The preset's claim blocks, checked as data and against the keys and values its sweeper's params sweep
    (dlx/results/claims.py), and those swept values; the metrics are checked once a job's Run is built."""
    if cfg.get("claim") is None:
        return [], {}
    from dlx.results import claims

    found = claims.parse(cfg.claim)
    swept = claims.swept_values(cfg.hydra.sweeper.get("params") or {})
    claims.check(found, swept, None)
    return found, swept


def result_metrics(run) -> set[str]:
    """What the result.json of a checked job (a dry Run) will hold (dlx.metrics.result_metrics), with what its
    trainer.attack_eps, trainer.weight_norms, trainer.cost and trainer.shifted_test add."""
    from dlx import metrics

    flags = [*map(metrics.attack_metric, run.attack[1]), *(metrics.WEIGHT_METRICS if run.weight_norms else ()),
             *(metrics.COST_METRICS if run.cost else ()), *(["cost/pretrain_s"] if run.cost and run.pretrain else []),
             *map(metrics.shifted_metric, run.shifted_test)]
    diagnostics = metrics.diagnostic_metrics(run.dead_units, run.grad_norms)
    return set(metrics.result_metrics(run.model.task, run.data.target_info, diagnostics)) | set(flags)


def _check_search(sweeper, overrides: list[str]) -> None:
    """hydra/sweeper=optuna: Optuna installed, n_trials >= 1 and a search space Optuna can sample (the sweeper
    itself would find out after Hydra started, with a traceback)."""
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise ConfigError('hydra/sweeper=optuna is wrong: it needs Optuna, which is not installed; install it with '
                          'pip install "dlx[sweep]"') from None
    from dlx import search

    n = sweeper.get("n_trials")
    if not checks.is_int(n) or n < 1:
        checks.fail("hydra.sweeper.n_trials", n, "an integer >= 1 (the trials in all)")
    k = sweeper.get("seeds", 1)
    if not checks.is_int(k) or k < 1:
        checks.fail("hydra.sweeper.seeds", k, "an integer >= 1 (a trial's value is the mean over that many seeds)")
    if k > 1 and any(override_key(o) == "seed" for o in [*(sweeper.get("params") or {}), *overrides]):
        raise ConfigError(f"seed=... is wrong with hydra.sweeper.seeds={k}: each trial runs seeds 0..{k - 1} itself; "
                          "allowed is hydra.sweeper.seeds alone")
    search.search_space([*(f"{k}={v}" for k, v in (sweeper.get("params") or {}).items()), *overrides])


def _writable(overrides: list[str], multirun: bool) -> None:
    """The folder the run or sweep will write to must be writable (a read-only or full disk: one line, before
    Hydra makes it). Checked at the nearest folder that exists, by creating a file there."""
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    given = [o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0] == key]
    target = Path(given[-1].strip("'\"")).expanduser() if given else Path("outputs")
    refused = checks.cannot_write(target)
    if refused:
        raise ConfigError(f"{key}={target} is wrong: {refused[0]} cannot be written ({refused[1]}); allowed is a "
                          "folder on a writable disk")


def _plain_folders(overrides: list[str], multirun: bool) -> None:
    """A run or sweep folder named on the command line that exists already must not hold symbolic links where
    dlx or Hydra write (runfolder.refuse_links; in a sweep folder, its job folders must not be links)."""
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    given = [o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0] == key]
    folder = Path(given[-1].strip("'\"")).expanduser() if given else None
    if folder is None or not folder.is_dir():
        return
    if not multirun:
        return runfolder.refuse_links(folder)
    if (folder / "multirun.yaml").is_symlink():
        raise runfolder.RunFolderError(f"{folder / 'multirun.yaml'} is a symbolic link; allowed is a sweep folder "
                                       "without links where dlx writes")
    for job in folder.iterdir():
        if job.name.isdigit() and job.is_symlink():
            raise runfolder.RunFolderError(f"{job} is a symbolic link; allowed is a sweep folder whose job folders "
                                           "are plain folders")
        if job.name.isdigit() and job.is_dir():
            runfolder.refuse_links(job)


@dataclass
class Plan:
    """What the preflight found: the arguments to hand to Hydra (None: nothing to do) and, for a sweep, what
    Hydra's side must know, which :meth:`hydra_args` passes on as overrides (so multirun.yaml records them)."""

    args: list[str] | None
    launcher: str = ""  # the sweep's hydra.launcher._target_
    n_jobs: Any = None  # and its n_jobs, where it has one
    one_thread_cpu: bool | None = None  # every job of the grid trains on the CPU with one thread (None: not known)
    checked: bool = False  # every job of the grid was composed and checked
    claims: tuple[list, dict] = field(default_factory=lambda: ([], {}))  # the grid's claim blocks, its swept values

    def processes(self, n_cores: int) -> int:
        """How many worker processes dlx's launcher will fork (1 for every other launcher)."""
        if not self.launcher.endswith(DLX_LAUNCHERS):
            return 1
        return processes(self.n_jobs, self.one_thread_cpu, n_cores)

    def hydra_args(self, n_cores: int) -> list[str]:
        """The arguments plus the decisions made here: n_jobs=auto resolved for dlx's launchers, and
        hydra.sweeper.checked=true for a grid whose every job was checked (dlx's grid sweeper then does not
        compose them all again)."""
        extra = []
        if self.launcher.endswith(DLX_LAUNCHERS) and self.n_jobs == "auto" and self.one_thread_cpu is not None:
            extra.append(f"hydra.launcher.n_jobs={self.processes(n_cores)}")
        if self.checked and "hydra.sweeper.checked=true" not in self.args:
            extra.append("hydra.sweeper.checked=true")
        return [*self.args, *extra]


def preflight(args: list[str]) -> Plan:
    """Before Hydra starts: apply ``resume=``, then compose and check the run, or every job of a sweep.

    Raises ConfigError (one line; for a sweep one line per wrong job, the first few) for anything wrong, so no
    folder is made for a config that cannot run. Returns the Plan: the arguments to hand to Hydra (None when
    there is nothing to do) and what a sweep's launcher must know."""
    untrusted = resume_folder(args)
    args = resume_args(args)
    if args is None:
        return Plan(None)
    flags, overrides, dirs, multirun, print_only = _flags(args)
    modes = sorted({MODES[a.split("=", 1)[0]] for a in args if a.split("=", 1)[0] in MODES})
    if len(modes) > 1 and not {"-h", "--help", "--hydra-help"} & set(args):
        raise ConfigError(f"{' and '.join(modes)} together are wrong: allowed is one of --multirun (-m), --cfg (-c), "
                          "--info (-i), --shell-completion (-sc)")
    for d in dirs:
        if not Path(d).is_dir():
            raise ConfigError(f"--config-dir {d or '(missing)'} is wrong: allowed is an existing folder of "
                              "config groups (e.g. conf/ holding model/mynet.yaml)")
    if print_only:
        return Plan(args)
    args = [*flags, *overrides]  # Hydra's argparse takes its flags only before the overrides
    _writable(overrides, multirun)
    _plain_folders(overrides, multirun)
    if not multirun:
        _check(overrides, dirs, untrusted)
        return Plan(args)
    planned, composed = jobs(overrides, dirs)
    plan = Plan(args, str(composed.hydra.launcher.get("_target_", "")), composed.hydra.launcher.get("n_jobs"),
                claims=_claims(composed))
    if planned is None:  # Optuna & co.: check the command's fixed values; the sweeper checks its ranges
        plain = [o for o in overrides if not re.search(r"\b(interval|range|choice|tag|glob)\(|,", o)]
        run = _check(plain, dirs)
        if not any(o.startswith("hydra.sweeper.direction=") for o in overrides):  # the run's real metric
            plan.args = [*args, f"hydra.sweeper.direction={'maximize' if run.mode == 'max' else 'minimize'}"]
        return plan
    # Jobs that differ only in their seed build the same objects: one is checked fully, the others' seed alone
    # (a 10-seed grid costs one compose and build instead of ten).
    shapes, errors, run = check_jobs(planned[:MAX_CHECKED], lambda job: _check(job, dirs))
    if errors:
        wrong = [f"job {num} ({' '.join(planned[num])}): {error}" for num, error in sorted(errors.items())]
        more = f"\n... and {len(wrong) - MAX_SHOWN} more wrong jobs" if len(wrong) > MAX_SHOWN else ""
        raise ConfigError(f"the sweep's {len(wrong)} of {len(planned)} jobs cannot run; nothing was started:\n"
                          + "\n".join(wrong[:MAX_SHOWN]) + more)
    if plan.claims[0] and run is not None:  # the claim's metrics: what this preset's runs log
        from dlx.results import claims

        claims.check(*plan.claims, result_metrics(run), loose=True)
    plan.checked = len(planned) <= MAX_CHECKED
    plan.one_thread_cpu = plan.checked and shapes == {("cpu", 1)}
    return plan
