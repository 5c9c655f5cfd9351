"""q4py: an emulation of HP-UX's q4 kernel crash-dump debugger for PA-RISC crash directories."""

__version__ = "0.1.0"
