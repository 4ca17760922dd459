"""Reading and writing a stack's config file (`stacks/Pulumi.<stack>.yaml`) the way a person
edits it: comments, key order and every other key survive a round trip, and writing the
declaration leaves every line outside it as it was, byte for byte."""

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from ccprovider.spec import CONFIG_KEY

DEFAULT_STACKS_DIR = Path("stacks")


def _yaml() -> YAML:
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def to_text(value: Any) -> str:
    """YAML text of a value, as it would appear in a stack file."""
    buffer = io.StringIO()
    _yaml().dump(value, buffer)
    return buffer.getvalue()


class StackFileError(Exception):
    """A stack file is missing or does not hold what a command needs."""


@dataclass
class StackFile:
    """One stack's config file, loaded for a round trip."""

    stack: str
    path: Path
    document: CommentedMap
    text: str = ""
    """The file as it was read (empty for a new stack)."""

    @classmethod
    def load(cls, stack: str, stacks_dir: Path = DEFAULT_STACKS_DIR) -> "StackFile":
        path = stacks_dir / f"Pulumi.{stack}.yaml"
        if not path.exists():
            raise StackFileError(f"stack '{stack}' has no config file: {path} does not exist")
        text = path.read_text()
        return cls(stack, path, _yaml().load(text) or CommentedMap(), text)

    @classmethod
    def new(cls, stack: str, stacks_dir: Path = DEFAULT_STACKS_DIR) -> "StackFile":
        return cls(stack, stacks_dir / f"Pulumi.{stack}.yaml", CommentedMap(config=CommentedMap()))

    @property
    def config(self) -> CommentedMap:
        config: CommentedMap = self.document.setdefault("config", CommentedMap())
        return config

    @property
    def tenant(self) -> CommentedMap:
        """The stack's `ccprovider:tenant` declaration."""
        tenant = self.config.get(CONFIG_KEY)
        if not isinstance(tenant, CommentedMap):
            raise StackFileError(f"{self.path} declares no {CONFIG_KEY} object")
        return tenant

    @tenant.setter
    def tenant(self, value: CommentedMap) -> None:
        self.config[CONFIG_KEY] = value

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(to_text(self.document))

    def write_tenant(self, tenant: CommentedMap) -> None:
        """Make `tenant` the stack's declaration and write the file. Only the declaration's
        lines change, so that a reviewer's diff is the declaration and every other key keeps
        its quoting, spacing and comments; a file laid out so that they cannot be told apart
        (flow style) is written whole instead."""
        self.tenant = tenant
        spliced = _with_entry(self.text, CONFIG_KEY, tenant)
        if spliced is not None and _reads_as(spliced, self.document):
            self.path.write_text(spliced)
        else:
            self.save()


def _reads_as(text: str, document: CommentedMap) -> bool:
    """Whether `text` is YAML that holds `document`."""
    try:
        return bool(_yaml().load(text) == document)
    except YAMLError:
        return False


def _with_entry(text: str, key: str, value: CommentedMap) -> str | None:
    """`text` with the lines of the config entry `key` replaced by `value`'s (or the entry
    added after the last one); None when `text` holds no config entries to place it among."""
    document = _yaml().load(text) if text else None
    config = document.get("config") if isinstance(document, CommentedMap) else None
    if not isinstance(config, CommentedMap) or not config:
        return None
    lines = text.splitlines(keepends=True)
    if key in config:
        start, column = config.lc.key(key)
        end = _entry_end(lines, start, column)
    else:
        line, column = config.lc.key(list(config)[-1])
        start = end = _entry_end(lines, line, column)
    # The entry as a stack file's config holds it, moved to the column of its neighbours;
    # comments after its last line belong to what follows, and stay where they are.
    entry = to_text(CommentedMap(config=CommentedMap({key: value}))).splitlines(keepends=True)[1:]
    while entry and _is_blank_or_comment(entry[-1]):
        entry.pop()
    placed = [" " * column + line[2:] if line.startswith("  ") else line for line in entry]
    return "".join([*lines[:start], *placed, *lines[end:]])


def _entry_end(lines: list[str], first: int, column: int) -> int:
    """The line after the last line of the block-mapping entry whose key is at `column` on
    line `first`: its value is indented deeper (a sequence may sit at the key's column)."""
    end = first + 1
    for number in range(first + 1, len(lines)):
        line = lines[number]
        if _is_blank_or_comment(line):
            continue
        content = line.lstrip(" ")
        indent = len(line) - len(content)
        item = content.rstrip() == "-" or content.startswith("- ")
        if indent < column or (indent == column and not item):
            break
        end = number + 1
    return end


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")
