"""Centrex billing layer (see shared/DESIGN.md §3)."""
