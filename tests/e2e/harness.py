"""Drives the real `pulumi` CLI on a throwaway copy of the program.

Each `PulumiProject` has its own directory, file state backend, embedded backend
database and stack, so tests never touch the clone's own state.
"""

import json
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ccprovider.backend import DEFAULT_DB_PATH
from ccprovider.backend.server import BackgroundServer
from ccprovider.backend.subprocess_server import serve_in_subprocess
from ccprovider.client import ProvisioningClient
from tests.readme import commands, snippet

REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "e2e-only-passphrase"
TENANT_TYPE = "pulumi-python:dynamic/ccprovider:Tenant"
STATE_IDENTITY_TYPE = "pulumi-python:dynamic/ccprovider:StateIdentity"


Step = tuple[str, str]
"""A step of an update: its operation and the name of its resource."""


CENTER_PREFIX = "contact-center-"
"""The program's tenant (its `ContactCenter`) names each child after itself."""


def resource_key(urn: str) -> str:
    """What a resource of the program's tenant is named by in tests: its key (external id,
    e-mail, team, partner org, "tenant"), the name in its URN without the tenant's prefix."""
    return urn.rpartition("::")[2].removeprefix(CENTER_PREFIX)


def changed_steps(result: dict[str, Any]) -> list[Step]:
    """The steps of a `preview --json` or `up --json` result that change something, sorted
    (reads and refreshes change nothing in the backend, `refresh_drift` tells what a refresh
    found; a discard drops a read from the state, such as the reference to its own stack
    that programs of earlier releases held, and the engine counts it as no change)."""
    return sorted(
        (step["op"], resource_key(step["urn"]))
        for step in result.get("steps", [])
        if step["op"] not in ("same", "read", "refresh", "discard")
    )


def infos(result: dict[str, Any]) -> list[str]:
    """The info lines the program logged, from a `preview --json` or `up --json` result."""
    return [
        d["message"].strip() for d in result.get("diagnostics", []) if d.get("severity") == "info"
    ]


_REFRESHED = re.compile(
    r"^\s*~\s+\S+ (\S+) (?:refresh|update|updated)(?: \([\d.]+s\))? \[diff: ([^\]]+)\]", re.M
)


def refresh_drift(output: str) -> list[tuple[str, str]]:
    """The resources whose refresh found a change, with the changed inputs, from the text
    of a `preview --refresh`, `up --refresh` (where the step reads "refresh") or `refresh`
    (where it reads "update"); the JSON of a preview does not carry what a dynamic
    provider's refresh read."""
    return sorted({(resource_key(name), diff) for name, diff in _REFRESHED.findall(output)})


_PLANNED_AS_TAKEN = re.compile(r"to (create|update|delete)")


def resource_summary(output: str) -> list[str]:
    """The `Resources:` summary of a preview or an update, in the update's words."""
    block = output.split("\nResources:\n", 1)[1].split("\n\n", 1)[0]
    return [_PLANNED_AS_TAKEN.sub(r"\1d", line.strip()) for line in block.splitlines()]


def file_state_url(state: Path) -> str:
    """The URL of a file state in directory `state`, written without metadata sidecars: the
    CLI writes a checkpoint's `.attrs` sidecar in place, and the program's reference to its
    own stack, read while the update writes its checkpoint, can find it empty ("failed to
    load checkpoint: EOF"; the reference itself is an open issue). A test then fails for
    a race of the engine's file store, not of ccprovider."""
    return f"file://{state}?metadata=skip"


NOISE_AFTER_A_FAILURE = (
    "Traceback",
    "an unhandled error occurred",
    "Resource monitor has terminated",
)
"""What a failed command must not print: its error says it all in one line."""


class PulumiCommandError(AssertionError):
    """A pulumi command exited non-zero; the message carries its output."""


def _environment(state_url: str, pulumi_home: Path, passphrase: str) -> dict[str, str]:
    """The environment of the pulumi commands of a project: its state, its PULUMI_HOME and
    its stacks' passphrase, the repository's venv first on PATH, nothing fetched."""
    venv = REPO / ".venv"
    outside = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    return {
        **outside,
        # The language host and the dynamic provider run the `python3` they find on PATH.
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(venv),
        "PULUMI_BACKEND_URL": state_url,
        "PULUMI_HOME": str(pulumi_home),
        "PULUMI_CONFIG_PASSPHRASE": passphrase,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "NO_COLOR": "1",
    }


@dataclass
class PulumiProject:
    """A temporary project directory running the repository's program on one stack."""

    directory: Path
    stack: str
    env: dict[str, str]

    @classmethod
    def create(
        cls,
        directory: Path,
        pulumi_home: Path,
        stack: str = "e2e",
        program: Path = REPO / "__main__.py",
        *,
        state_url: str | None = None,
        new_stack: bool = True,
    ) -> "PulumiProject":
        """A project in `directory` whose state is in `state_url` (default: a file state of
        its own); it creates `stack` unless `new_stack` is False (the stack exists there)."""
        directory.mkdir(parents=True)
        if state_url is None:
            state = directory / ".pulumi-state"
            state.mkdir()
            state_url = file_state_url(state)
        # The repository's project file, with the stack files in stacks/ as in a clone.
        shutil.copy(REPO / "Pulumi.yaml", directory / "Pulumi.yaml")
        (directory / "stacks").mkdir()
        (directory / ".venv").symlink_to(REPO / ".venv")
        shutil.copy(program, directory / "__main__.py")
        project_ = cls(directory, stack, _environment(state_url, pulumi_home, PASSPHRASE))
        if new_stack:
            project_.init_stack(stack)
        return project_

    @classmethod
    def as_scripts_run(cls, directory: Path, pulumi_home: Path, stack: str) -> "PulumiProject":
        """The project in `directory` of a clone (`copy_clone`), with what `scripts/pulumi`
        sets when run there: the state beside its Pulumi.yaml (read and written without
        metadata sidecars, see `file_state_url`), the committed stacks' passphrase."""
        passphrase = re.search(
            r'^LOCAL_STACKS_PASSPHRASE="(.+)"$', (REPO / "scripts" / "lib.sh").read_text(), re.M
        )
        assert passphrase is not None, "scripts/lib.sh names the committed stacks' passphrase"
        state = directory / ".pulumi-state"
        state.mkdir(exist_ok=True)
        env = _environment(file_state_url(state), pulumi_home, passphrase[1])
        return cls(directory, stack, env)

    def shell_env(self) -> dict[str, str]:
        """The environment of a user's shell that runs the project's commands through
        `scripts/`: no Pulumi variable (the scripts pick the state and the passphrase) but
        the project's PULUMI_HOME."""
        outside = {k: v for k, v in self.env.items() if not k.startswith("PULUMI_")}
        return {**outside, "PULUMI_HOME": self.env["PULUMI_HOME"]}

    def copy(self, directory: Path) -> "PulumiProject":
        """This project copied to `directory` with its file state and its embedded backend's
        database: the same stacks as applied, for a test to change on its own."""
        state = file_state_url(self.directory / ".pulumi-state")
        assert self.env["PULUMI_BACKEND_URL"] == state, "only a project with a state of its own"
        shutil.copytree(self.directory, directory, symlinks=True)
        env = {**self.env, "PULUMI_BACKEND_URL": file_state_url(directory / ".pulumi-state")}
        return PulumiProject(directory, self.stack, env)

    def init_stack(self, stack: str) -> "PulumiProject":
        """Create another stack of the same project and return a handle on it."""
        other = PulumiProject(self.directory, stack, self.env)
        other.run("stack", "init", stack)
        return other

    def run(
        self,
        *args: str,
        check: bool = True,
        via_script: bool = False,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `pulumi ARGS` on the project's stack, or with `via_script` the project's
        `scripts/pulumi` wrapper, as its README says to, with the project's environment
        changed by `env`; raise PulumiCommandError if `check` fails."""
        pulumi = str(REPO / "scripts" / "pulumi") if via_script else "pulumi"
        command = [pulumi, *args, "--non-interactive"]
        if args[:2] != ("stack", "init"):
            command += ["--stack", self.stack]
        env = {**self.env, **(env or {})}
        return without_a_terminal(command, self.directory, env, check=check)

    def run_readme(
        self, command: list[str], *, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a command of the README (tests/readme.py) in the project, as written, with the
        project's environment: the project is a copy of the program, not of the clone, so
        `scripts/...` is the repository's."""
        program = REPO / command[0] if command[0].startswith("scripts/") else command[0]
        return run_as_written([str(program), *command[1:]], self.directory, self.env, check=check)

    def up(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Apply the declaration to a state that is as the backend holds it: `pulumi up
        --yes --skip-preview --refresh=false ARGS`, writing the state once at the end.

        A plain `pulumi up` first runs the same engine pass as `pulumi preview`, program
        and providers again, which doubles its cost, and then the refresh the project
        runs before each command; the state is written after each step so that a killed
        update can resume. Tests run `pulumi preview` on its own wherever what it plans
        matters, a plain `up` (through `run`) wherever they read what it reports
        (`preview_then_up`), an `up` may fail or be killed, or a refresh is the point."""
        return self.run(
            "up",
            "--yes",
            "--skip-preview",
            "--refresh=false",
            *args,
            env={"PULUMI_SKIP_CHECKPOINTS": "true"},
        )

    @property
    def config_file(self) -> Path:
        return self.directory / "stacks" / f"Pulumi.{self.stack}.yaml"

    def set_tenant(self, **tenant: Any) -> None:
        """Declare the tenant in the stack's config file, as a user edits it."""
        self.declare(tenant)

    def declare(self, tenant: dict[str, Any]) -> None:
        """Write `tenant` as the stack's `ccprovider:tenant`, as a user edits the file."""
        data = yaml.safe_load(self.config_file.read_text()) if self.config_file.exists() else {}
        data = data or {}
        data.setdefault("config", {})["ccprovider:tenant"] = tenant
        self.config_file.write_text(yaml.safe_dump(data, sort_keys=False))

    def preview_fails(self) -> str:
        """Run `pulumi preview`, which must fail with the failure's own lines alone (no
        traceback, no line of the engine's after them); return what it printed."""
        result = self.run("preview", check=False)
        assert result.returncode != 0, f"preview should have failed:\n{result.stdout}"
        output = result.stdout + result.stderr
        for noise in NOISE_AFTER_A_FAILURE:
            assert noise not in output, output
        return output

    def preview_json(self, *args: str) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.run("preview", "--json", *args).stdout)
        return result

    def preview_then_up(self, *args: str) -> tuple[list[Step], list[Step]]:
        """The steps that `pulumi preview ARGS` plans and then those `pulumi up ARGS` takes."""
        planned, taken = self.preview_then_up_json(*args)
        return changed_steps(planned), changed_steps(taken)

    def preview_then_up_json(self, *args: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The results of `pulumi preview --json ARGS` and then `pulumi up --json ARGS`."""
        planned = self.preview_json(*args)
        # `up --json` prints its result, then the engine's events one per line.
        taken, _ = json.JSONDecoder().raw_decode(self.run("up", "--yes", "--json", *args).stdout)
        return planned, taken

    def outputs(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.run("stack", "output", "--json").stdout)
        return result

    def state_resources(self, type_: str) -> list[dict[str, Any]]:
        """The resources of one type in the stack's state."""
        deployment = json.loads(self.run("stack", "export").stdout)["deployment"]
        return [r for r in deployment.get("resources") or [] if r["type"] == type_]

    def owner(self) -> str:
        """The manager this stack's state marks its objects with: `project/stack@<state id>`."""
        [identity] = self.state_resources(STATE_IDENTITY_TYPE)
        return f"ccprovider/{self.stack}@{identity['id']}"

    @contextmanager
    def backend(self) -> Iterator[ProvisioningClient]:
        """A client of the embedded backend's database, served while the block runs."""
        server = BackgroundServer(self.directory / DEFAULT_DB_PATH)
        try:
            yield ProvisioningClient(server.start())
        finally:
            server.stop()


NO_TERMINAL = {"PULUMI_SKIP_CONFIRMATIONS": "true"}
"""What a README command that asks on a terminal (`pulumi up`, `refresh`, `destroy`) is
told when a test runs it: yes, as `--yes` would (a test has no terminal to answer on)."""


def run_as_written(
    command: list[str], cwd: Path, env: dict[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run `command` in `cwd` with `env` and NO_TERMINAL; raise PulumiCommandError if
    `check` fails."""
    return without_a_terminal(command, cwd, {**env, **NO_TERMINAL}, check=check)


def without_a_terminal(
    command: list[str], cwd: Path, env: dict[str, str], *, check: bool
) -> subprocess.CompletedProcess[str]:
    """Run `command` in `cwd` with `env`, without a terminal; raise PulumiCommandError,
    which carries its output, if `check` and it fails."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check and result.returncode != 0:
        raise PulumiCommandError(
            f"`{' '.join(command)}` exited {result.returncode}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def run_block(
    script: str, cwd: Path, env: dict[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the text of a README shell block (tests/readme.py) with bash in `cwd`, as a user
    pastes it, stopping at the first command that fails."""
    return run_as_written(["bash", "-euo", "pipefail", "-c", script], cwd, env, check=check)


def on_a_terminal(
    command: list[str], cwd: Path, env: dict[str, str], answer: str
) -> tuple[int, str]:
    """Run `command` on a terminal of its own, typing `answer` at its `[y/N]` question;
    return its exit code and what it showed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    shown, answered = b"", False
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        shown += chunk
        if not answered and b"[y/N]" in shown:
            os.write(leader, answer.encode() + b"\n")
            answered = True
    os.close(leader)
    return process.wait(timeout=60), shown.decode(errors="replace")


def readme_tokens(directory: Path) -> str:
    """The README's token file of the backend server ("backend-server"), written in
    `directory` by its first command; its token."""
    on_disk = {"/var/tmp/": f"{directory}/"}
    run_block(snippet("backend-server", on_disk).splitlines()[0], directory, dict(os.environ))
    [token] = json.loads((directory / "cc-tokens.json").read_text())
    return str(token)


@contextmanager
def readme_server(directory: Path) -> Iterator[tuple[str, str]]:
    """The README's backend server ("backend-server": the token file it writes and its
    `serve` command), its files in `directory`, on a free port; its URL and its token."""
    token = readme_tokens(directory)
    subs = {"/var/tmp/": f"{directory}/", "--port 8080": "--port 0"}
    serve = commands("backend-server", subs)[1]
    assert serve[:4] == [".venv/bin/python", "-m", "ccprovider.backend", "serve"], serve
    with serve_in_subprocess(serve[serve.index("--db") + 1], *serve[4:]) as url:
        yield url, token


def copy_clone(root: Path) -> Path:
    """A user's clone in `root`: the repository's tracked files, sharing its venv."""
    tracked = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, tracked):
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    (root / ".venv").symlink_to(REPO / ".venv")
    return root


class AppliedStacks:
    """Stacks with a declared tenant applied by the real CLI once per test worker, copied
    (state and backend database) for each test that starts from one: the test changes its
    copy alone, and pays for no `up` of a tenant that another test applied already."""

    def __init__(self, root: Path, pulumi_home: Path) -> None:
        self._root = root
        self._pulumi_home = pulumi_home
        self._applied: dict[str, PulumiProject] = {}

    def copy(self, declared: dict[str, Any], directory: Path) -> PulumiProject:
        """A project in `directory` whose stack has `declared` applied."""
        key = json.dumps(declared, sort_keys=True)
        template = self._applied.get(key)
        if template is None:
            # A directory of its own per attempt: an `up` that failed leaves its own behind.
            where = Path(tempfile.mkdtemp(dir=self._root)) / "project"
            template = PulumiProject.create(where, self._pulumi_home)
            template.declare(declared)
            template.up()
            self._applied[key] = template
        return template.copy(directory)


Apply = Callable[[dict[str, Any]], PulumiProject]
"""`applied(declared)`: a project of the test's own whose stack has `declared` applied."""


def steps_by_op(preview: dict[str, Any], type_: str) -> dict[str, list[dict[str, Any]]]:
    """The preview's steps on resources of `type_`, grouped by operation (without the
    refresh that the project runs before each command)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for step in preview.get("steps", []):
        if step["op"] == "refresh":  # the read before every command; it changes nothing
            continue
        state = step.get("newState") or step.get("oldState") or {}
        if state.get("type") == type_:
            grouped.setdefault(step["op"], []).append(step)
    return grouped


_RESOURCE_HEADER = re.compile(r"^([~+-]+ )?[\w-]+:[\w/-]+:\w+: \(")


def changed_properties(diff_output: str, resource_type: str, op: str) -> list[str]:
    """The property lines with a change marker (+, -, ~) in the block of the first
    `<resource_type>: (<op>)` resource of `pulumi preview --diff` output, with the
    alignment before each colon removed."""
    lines = [line.strip() for line in diff_output.splitlines()]
    header = next(
        i for i, line in enumerate(lines) if line.endswith(f"ccprovider:{resource_type}: ({op})")
    )
    block = []
    for line in lines[header + 1 :]:
        if line.startswith(("--outputs:--", "Resources:")) or _RESOURCE_HEADER.match(line):
            break
        if re.match(r"^[~+-] \w+\s*:", line):
            block.append(re.sub(r"\s+:", ":", line))
    return block


def ccprovider(
    project: PulumiProject, *args: str, check: bool = True, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run `python -m ccprovider` in the project, as a user does next to their stacks, with
    the project's environment (its pulumi CLI, state and passphrase) changed by `env`."""
    result = subprocess.run(
        [sys.executable, "-m", "ccprovider", *args],
        cwd=project.directory,
        env={**project.env, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert result.returncode == 0, (
            f"ccprovider {' '.join(args)}:\n{result.stdout}{result.stderr}"
        )
    return result


MIN_WATCH_ROUNDS = 10
"""Rounds of access checks the watch must complete while an `up` runs (an `up` takes
seconds, a round milliseconds): fewer means it stopped watching."""
Poll = Callable[[ProvisioningClient], list[str]]
"""One round of an access watch: who has no access now, and why."""


@contextmanager
def access_watch(project: PulumiProject, poll: Poll) -> Iterator[list[str]]:
    """Run `poll` against the project's backend, round after round, while the block runs;
    yield the lapses it finds. The watch must have polled all along: it fails the test if
    a poll raised or if it polled too few rounds to have seen the update."""
    lapses: list[str] = []
    rounds: list[int] = []
    failures: list[BaseException] = []
    done = threading.Event()
    with project.backend() as backend:

        def watch() -> None:
            try:
                while not done.is_set():
                    lapses.extend(poll(backend))
                    rounds.append(1)
            except BaseException as failure:  # reported to the test below
                failures.append(failure)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            yield lapses
        finally:
            done.set()
            watcher.join()
    assert failures == [], f"the access watch stopped: {failures[0]!r}"
    assert len(rounds) >= MIN_WATCH_ROUNDS, f"the access watch polled only {len(rounds)} rounds"
