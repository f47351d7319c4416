"""Centrex api layer (see shared/DESIGN.md §3)."""
