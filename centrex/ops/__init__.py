"""Centrex ops layer (see shared/DESIGN.md §3)."""
