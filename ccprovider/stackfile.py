"""Reading and writing a stack's config file (`stacks/Pulumi.<stack>.yaml`) the way a person
edits it: comments, key order and every other key survive a round trip."""

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

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

    @classmethod
    def load(cls, stack: str, stacks_dir: Path = DEFAULT_STACKS_DIR) -> "StackFile":
        path = stacks_dir / f"Pulumi.{stack}.yaml"
        if not path.exists():
            raise StackFileError(f"stack '{stack}' has no config file: {path} does not exist")
        document = _yaml().load(path.read_text()) or CommentedMap()
        return cls(stack, path, document)

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
