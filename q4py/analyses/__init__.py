"""Analyses: plain data for each report section, computed from a Program (no text)."""
