"""Typed kernel objects read through a Program, one module per subsystem (like drgn's helpers)."""
