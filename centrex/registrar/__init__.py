"""Centrex registrar: per-tenant location service with digest authentication (RFC 3261 §10).

`Registrar.lookup(tenant_id, number)` gives the live bindings of an extension, best first;
`DigestGate` challenges and verifies a device's digest credentials (REGISTER here, INVITE in
the call layer).
"""

from centrex.registrar.auth import Authenticated, AuthReply, DigestGate, policy_algorithms
from centrex.registrar.location import Binding, ExpiryPolicy, Location
from centrex.registrar.register import Registrar, RegistrationView
from centrex.registrar.security import AuthFailureTracker
from centrex.registrar.store import BindingStore, BindingWriter, Directory

__all__ = [
    "AuthFailureTracker",
    "AuthReply",
    "Authenticated",
    "Binding",
    "BindingStore",
    "BindingWriter",
    "DigestGate",
    "Directory",
    "ExpiryPolicy",
    "Location",
    "Registrar",
    "RegistrationView",
    "policy_algorithms",
]
