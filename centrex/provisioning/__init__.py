"""Centrex provisioning layer (see shared/DESIGN.md §3)."""
