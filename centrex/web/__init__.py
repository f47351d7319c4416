"""Centrex web layer (see shared/DESIGN.md §3)."""
