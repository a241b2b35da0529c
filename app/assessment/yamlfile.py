"""Data files in YAML, checked as they are read: the questionnaires and the report templates.

A reader subclasses `YamlReader` with its own `error`; every problem raises it naming the file
and where in it (`fail`), so a malformed file stops the app with a message a maintainer can act on.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NoReturn

import yaml


class YamlReader:
    error: type[ValueError] = ValueError

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def load(self, text: str | None = None):
        """The file's data (or that of `text`, the file's content received otherwise), or `error`
        when it is not YAML."""
        try:
            return yaml.safe_load(self.path.read_text(encoding="utf-8") if text is None else text)
        except yaml.YAMLError as exc:
            raise self.error(f"{self.path}: not valid YAML: {exc}") from None

    def fail(self, where: str, message: str) -> NoReturn:
        raise self.error(f"{self.path}: {where}: {message}")

    def mapping(self, value, where: str, keys: tuple[str, ...] = ()) -> dict:
        """`value` as a mapping that has every one of `keys`."""
        if not isinstance(value, dict):
            self.fail(where, "expected a mapping")
        for key in keys:
            if key not in value:
                self.fail(where, f"missing {key!r}")
        return value

    def number(self, value, where: str, *, positive: bool = False, low=None, high=None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            self.fail(where, f"expected a number, got {value!r}")
        if positive and value <= 0:
            self.fail(where, f"must be positive, got {value!r}")
        if (low is not None and value < low) or (high is not None and value > high):
            self.fail(where, f"must be between {low} and {high}, got {value!r}")
        return value
