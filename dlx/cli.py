"""`dlx train | compare | report | eval | predict | plan | course`. `train` hands its arguments to Hydra unchanged
(every Hydra flag works)."""

from __future__ import annotations

import gc
import os
import signal
import sys

USAGE = """usage: dlx <command> [args]

commands:
  train    train one run, or a sweep with -m (Hydra overrides: dlx train model=cnn optim=adam)
           `dlx train --help` shows the config groups and keys; `dlx train --cfg job` prints the config
  compare  compare the runs of a sweep folder (or several run folders): table, summary.csv/.md, plot
  report   one self-contained report.html for a sweep folder (or run folders): dlx report <folder> [--out FILE]
  eval     evaluate a run's weights on its val and test splits: dlx eval <run folder> [--checkpoint final|best|last]
  predict  a run's predictions for new inputs (CSV, .npz/.pt, images) -> predictions.csv:
           dlx predict <run folder> <inputs> [--out FILE] [--checkpoint final|best|last] [--device auto|cpu|cuda]
  plan     seeds a sweep needs, from a pilot sweep: dlx plan <sweep> --effect 0.01 [--alpha 0.05] [--power 0.8]
  course   the course's claims, the preset that tests each and its published verdict: dlx course [C7] [--part N]

  dlx --version    print the version
"""

# the commands other than train, and the module of dlx whose main(args) runs each
COMMANDS = {"compare": "compare", "report": "report", "eval": "evaluate", "predict": "predict", "plan": "plan",
            "course": "course"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd in ("--version", "-V"):
        from dlx import __version__

        print(f"dlx {__version__}")
        return 0
    # A user's own modules (model=mynet with _target_: mynets.Net) import from the working directory.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    if cmd == "train":
        # Hydra lists plugins with pkgutil, which cannot see through setuptools' editable finder: a checkout
        # installed with pip install -e shows its hydra_plugins/ (dlx's own launcher and sweeper) on the path.
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        if os.path.isdir(os.path.join(root, "hydra_plugins")) and root not in sys.path:
            sys.path.append(root)
        pool = _start_pool_server(rest)  # a sweep: its imports run on another core while ours run here
        from dlx import job, lazy_dynamo
        from dlx.checks import ConfigError
        from dlx.preflight import preflight
        from dlx.sweep.jobs import cores

        lazy_dynamo.defer()  # the preflight builds every job without training: no torch._dynamo import (1.7 s)
        args, use_pool = None, False
        try:
            plan = preflight(rest)  # resume=<folder> -> its overrides; each job composed and checked
            if plan.args is not None:
                n_cores = cores()
                args, use_pool = plan.hydra_args(n_cores), bool(pool and plan.processes(n_cores) > 1)
        except ConfigError as e:
            for line in str(e).splitlines():
                print(f"dlx: error: {line}", file=sys.stderr)
            return 2
        finally:
            if pool and not use_pool:
                pool.stop_server()  # a wrong value, or jobs that run one after another here: no workers to fork
        if args is None:
            return 0
        sys.argv = ["dlx train", *args]
        # Ctrl-C still ends the process at once while Hydra composes (OmegaConf turns a KeyboardInterrupt into its
        # own errors): a job's StopRequest (dlx/job.py), and a sweep's parent while it waits for its workers
        # (dlx.signals.interrupts), take it over
        job.main()  # Hydra parses sys.argv and exits on its own errors; a sweep with a failed job exits 1
        return 0
    if cmd in COMMANDS:
        import importlib

        from dlx.signals import unwinding

        command = importlib.import_module(f"dlx.{COMMANDS[cmd]}")
        unwinding()  # imported: a Ctrl-C from here is the command's to handle (its temporary files)
        return command.main(rest)
    print(f"dlx: error: unknown command {cmd!r}; allowed: train, {', '.join(COMMANDS)} (see dlx --help)",
          file=sys.stderr)
    return 2


def _start_pool_server(args: list[str]):
    """For ``dlx train -m``: start the fork server of dlx's launchers now (importing torch and dlx takes it ~3 s, on
    the core the preflight does not use); the dlx.sweep.pool module, or None when this is no sweep."""
    if not ({"-m", "--multirun"} & set(args)) or {"--cfg", "-c", "--help", "-h", "--info"} & set(args):
        return None
    if any(a.startswith("hydra/launcher=") and a not in ("hydra/launcher=parallel", "hydra/launcher=batched")
           for a in args):
        return None  # another launcher named on the command line: no workers to fork
    if not sys.platform.startswith("linux"):  # see dlx.sweep.jobs.processes
        return None
    from dlx.sweep import pool

    pool.start_server()
    return pool


def entry() -> None:
    from dlx.signals import exit_at_once, ignore_at_finalisation, quiet_teardown

    ignore_at_finalisation()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, exit_at_once)  # until a job, or a sweep's parent that waits, takes over
    try:
        code = main()
        quiet_teardown(code)  # inside the try: a signal just before it is an interrupt like any other
    except KeyboardInterrupt:  # Ctrl-C in another command (compare, eval, ...) or a sweep parent's wait
        quiet_teardown(130)
        print("dlx: interrupted", file=sys.stderr)
        code = 130
    except SystemExit as e:  # Hydra's own exit: its errors, a sweep with a failed job
        quiet_teardown(e.code if isinstance(e.code, int) else int(e.code is not None))
        raise
    except BrokenPipeError:  # `dlx ... | head` closed the pipe: what was asked for is printed
        # Python's advice (docs of signal, "Note on SIGPIPE"): point stdout at devnull, so the flush at exit
        # does not raise a second time
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 141  # 128 + SIGPIPE, as a shell reports a command stopped by a closed pipe
        quiet_teardown(code)
    finally:
        # What is left is the interpreter's teardown, where the garbage collector walks every object torch and
        # Hydra made (over a second after a sweep); frozen objects are skipped. atexit handlers still run.
        gc.freeze()
    sys.exit(code)
