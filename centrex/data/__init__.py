"""Centrex data layer (see shared/DESIGN.md §3)."""
