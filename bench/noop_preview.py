"""What every pulumi command costs before it does anything: a no-op `pulumi preview` of the
dev stack, and the imports of the processes it starts.

Not a test: it prints a table. On a scratch project running a repository's program in
that repository's venv, it applies the dev stack's declaration (stacks/Pulumi.dev.yaml)
to a fresh embedded backend, then times `--runs` no-op previews. In the same run, it times
in fresh interpreters the imports of the program's and the provider's modules
(`ccprovider.contact_center`, `ccprovider.resources`) and of the embedded backend's
(`ccprovider.backend.server`), and the `pip list` that Pulumi's language host runs in
the venv at every preview and update. Each figure is the median of the runs, wall-clock seconds.
Give `--repo` a checkout of another commit (with its venv: scripts/bootstrap) to compare.

    PATH="$(scripts/bootstrap --print-pulumi-dir):$PATH" .venv/bin/python bench/noop_preview.py \\
        [--repo PATH] [--runs 5]
"""

import argparse
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from engine_scale import REPO, Project

IMPORTS = {
    "import: program and provider modules": (
        "import ccprovider.contact_center, ccprovider.resources"
    ),
    "import: embedded backend": "import ccprovider.backend.server",
}
PIP_LIST = ("-m", "pip", "list", "-v", "--format", "json")
"""What Pulumi's Python language host runs in the venv at every preview and update."""


def median_seconds(runs: int, step: Callable[[], object]) -> float:
    """The median wall-clock time of `runs` calls of `step`."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def in_venv(python: Path, *args: str) -> Callable[[], object]:
    """A step that runs the venv's `python ARGS`, its output discarded."""
    return lambda: subprocess.run(  # noqa: S603 - the venv's own python
        [python, *args], check=True, stdout=subprocess.DEVNULL
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout to measure")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median)")
    args = parser.parse_args()
    repo: Path = args.repo.resolve()
    python = repo / ".venv" / "bin" / "python"
    config = yaml.safe_load((repo / "stacks" / "Pulumi.dev.yaml").read_text())["config"]

    with tempfile.TemporaryDirectory(prefix="ccprovider-noop-") as scratch:
        project = Project(Path(scratch) / "dev", repo / "__main__.py", config, repo=repo)
        project.pulumi("up", "--yes", "--skip-preview")
        noop = median_seconds(args.runs, lambda: project.pulumi("preview", "--expect-no-changes"))
    figures = {"pulumi preview (no changes)": noop}
    for label, statement in IMPORTS.items():
        figures[label] = median_seconds(args.runs, in_venv(python, "-c", statement))
    listing = median_seconds(args.runs, in_venv(python, *PIP_LIST))
    figures["the language host's `pip list`"] = listing

    commit = subprocess.run(  # noqa: S603 - git, on the checkout measured
        ["git", "-C", repo, "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    print(f"{repo} at {commit}, median of {args.runs} runs")
    for label, seconds in figures.items():
        print(f"  {label:<40} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
