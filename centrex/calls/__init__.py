"""Centrex calls layer (see shared/DESIGN.md §3)."""
