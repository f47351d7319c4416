"""Centrex sip layer (see shared/DESIGN.md §3)."""
