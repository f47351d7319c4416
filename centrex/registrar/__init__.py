"""Centrex registrar layer (see shared/DESIGN.md §3)."""
