"""Centrex apps layer (see shared/DESIGN.md §3)."""
