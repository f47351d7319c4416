"""Centrex: a multi-tenant hosted telephony platform in one Python package.

See shared/DESIGN.md and docs/architecture.md for the map of the layers.
"""

__version__ = "0.1.0"
