"""The bundled q4 script library: `run NAME ARGS...` runs `NAME.py` from here.

Each script is a plain file defining `run(q4, args)` (see `q4py.scripting` and
docs/scripting.md); `run` loads it from its path, so this package is only a place to keep them.
"""
