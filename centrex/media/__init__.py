"""Centrex media layer (see shared/DESIGN.md §3)."""
