"""Centrex api routes layer (see shared/DESIGN.md §3)."""
