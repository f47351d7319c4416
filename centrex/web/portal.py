"""Placeholder replaced below."""

from fastapi import FastAPI


def install_portal(app: FastAPI) -> None:
    """Mount the portal pages."""
