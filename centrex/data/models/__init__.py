"""Centrex data models layer (see shared/DESIGN.md §3)."""
