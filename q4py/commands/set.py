"""`set`: show the session settings, or change one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from q4py import settings
from q4py.commands import command
from q4py.errors import CommandError

if TYPE_CHECKING:
    from q4py.shell.session import Session


@command(
    "set",
    usage="set [NAME [VALUE]]",
    summary="show the session settings, or change one",
    help="`set` lists every setting with its value; `set NAME` shows one; `set NAME VALUE`\n"
    "changes it; `set NAME default` puts back its default. `set NAME` also says what the\n"
    "setting does and which values it takes. At the prompt and with `q4 -c` a change is also\n"
    "written to the config file (~/.config/q4py/config.toml), so the next session starts with\n"
    "it; command files and replays start from the defaults.\n"
    "Example:\n"
    "  set pager off\n"
    "  set theme light",
)
def set_command(session: Session, args: list[str]) -> None:
    out = session.out
    if not args:
        rows = list(session.settings.items())
        width = max((len(s.name) for s, _ in rows), default=0)
        for setting, value in rows:
            print(f"{setting.name:<{width}}  {setting.show(value)}", file=out)
        return
    if len(args) > 2:
        raise CommandError("usage: set [NAME [VALUE]] (quote a value that holds spaces)")
    setting = settings.lookup(args[0])
    if len(args) == 2:
        if args[1] == "default":
            session.settings.reset(setting.name)
            session.save_config("settings", setting.name, None)
        else:
            session.settings.change(setting.name, args[1])
            session.save_config("settings", setting.name, args[1])
    print(f"{setting.name}  {setting.show(session.settings[setting.name])}", file=out)
    if len(args) == 1:
        print(f"  {setting.help} (values: {setting.accepts()}; "
              f"default {setting.show(setting.default)})", file=out)
