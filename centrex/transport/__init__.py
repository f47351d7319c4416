"""Centrex transport layer (see shared/DESIGN.md §3)."""
