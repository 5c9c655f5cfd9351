"""The user's config file: settings and aliases that outlive a session.

`~/.config/q4py/config.toml` (or `$XDG_CONFIG_HOME/q4py/config.toml`, or
`$Q4PY_CONFIG_DIR/config.toml`) holds two tables of strings, written back by `set NAME VALUE`,
`alias NAME COMMAND` and `unalias NAME` in the sessions that use it (the prompt and `q4 -c`):

    [settings]
    pager = "off"
    theme = "light"

    [aliases]
    procs = "load proc_t from proc max nproc"

Command files (`q4 -f`), stdin batches and `--replay` never read it, so a script prints the same
on every machine. A file that cannot be read or parsed is one warning line and the defaults: a
broken config never keeps q4 from starting.
"""

from __future__ import annotations

import json
import os

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]
from dataclasses import dataclass, field
from pathlib import Path

MAX_CONFIG_BYTES = 1 << 20  # a config file is a few lines; anything bigger is not one


def config_path() -> Path:
    explicit = os.environ.get("Q4PY_CONFIG_DIR")
    if explicit:
        return Path(explicit) / "config.toml"
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else Path.home() / ".config"
    return base / "q4py" / "config.toml"


@dataclass
class Config:
    """What the file holds; `save` writes it back (atomically: a new file renamed over)."""

    path: Path
    settings: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> tuple[Config, str | None]:
        """The config at `path` (default `config_path()`) and a warning, or None."""
        path = config_path() if path is None else path
        config = cls(path)
        try:
            with open(path, "rb") as f:
                raw = f.read(MAX_CONFIG_BYTES + 1)
        except FileNotFoundError:
            return config, None
        except OSError as exc:
            return config, f"{path}: cannot read: {exc.strerror or exc} (using the defaults)"
        if len(raw) > MAX_CONFIG_BYTES:
            return config, f"{path}: larger than {MAX_CONFIG_BYTES} bytes (using the defaults)"
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            return config, f"{path}: not valid TOML: {exc} (using the defaults)"
        problems = []
        for table in ("settings", "aliases"):
            values = data.get(table, {})
            if not isinstance(values, dict):
                problems.append(f"[{table}] is not a table")
                continue
            for name, value in values.items():
                if isinstance(value, str):
                    getattr(config, table)[name] = value
                else:
                    problems.append(f"{table}.{name} is not a string")
        warning = f"{path}: {'; '.join(problems)} (ignored)" if problems else None
        return config, warning

    def save(self) -> None:
        """Write the file; OSError when it cannot be."""
        lines = []
        for table in ("settings", "aliases"):
            values = getattr(self, table)
            if values:
                lines.append(f"[{table}]")
                lines += [f"{_key(k)} = {_string(v)}" for k, v in sorted(values.items())]
                lines.append("")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text("\n".join(lines), encoding="utf-8")
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)


def _string(value: str) -> str:
    # A JSON string is a TOML basic string (the escapes json.dumps writes are TOML's too).
    return json.dumps(value, ensure_ascii=False)


def _key(name: str) -> str:
    bare = name and all(c.isalnum() or c in "-_" for c in name) and name.isascii()
    return name if bare else _string(name)
