"""The one digest gate for every request a device must authenticate (REGISTER, INVITE, ...).

Theory of operation (RFC 3261 §22, RFC 7616, RFC 8760)
------------------------------------------------------
`DigestGate.check` answers "who sent this request?" or "what do we answer instead?":

1. *Tenant*: the first of `hosts` (candidate domains, in the caller's order) that names a
   tenant; when none does, the realm of a (Proxy-)Authorization header that does. None:
   404 Not Found. Whether a suspended tenant may go on is the caller's decision (the registrar
   refuses it, the call layer still lets emergency calls through), so the gate does not judge.
2. *Policy*: the algorithms offered, in order, follow the `DigestPolicy` of the device (its
   extension's) or else of its tenant: `compatible` = the server's configured order (default
   MD5, then SHA-256: many phones and sipp 3.6 answer only the first challenge and know only
   MD5), `prefer-sha256` = SHA-256 first, `require-sha256` = SHA-256 only (RFC 8760 §2.4: the
   server orders the challenges by preference). Before credentials arrive, the device is
   guessed from the From user so a device requiring SHA-256 is offered only SHA-256.
3. *Challenge*: no credentials for the tenant's realm: 401 (WWW-Authenticate) or, for
   `proxy`, 407 (Proxy-Authenticate), one header per algorithm, sharing one stateless nonce.
4. *Verify* against the stored HA1 (never a password): an algorithm the device's policy does
   not allow (MD5 from a device requiring SHA-256), an unknown, foreign or replayed nonce, or a
   wrong realm earn a fresh challenge; an expired nonce with the right answer earns
   `stale=true` (RFC 7616 §3.3); a wrong response, or an unknown user answering a challenge,
   is a failure: 403, recorded with the `AuthFailureTracker` so a guessing source is banned
   (the challenges themselves are normal traffic and never counted).

5. *Short-lived secrets*: a response that does not match the device's own HA1 is tried against
   the HA1s of the live secrets issued for that one extension (`ExtraSecrets`: the browser
   softphone's phone credential, `provisioning/phone_credentials.py`) before it counts as a
   failure. They are looked up by (tenant, extension number), so a secret of A's 101 can never
   answer for 102 or for another tenant (whose realm is in the HA1, too).

Pure in logic, asynchronous only for the cached `Directory` lookups; time comes from the
injected wall clock (nonces must survive a restart, so not monotonic).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from centrex.data.models import DigestPolicy
from centrex.registrar.security import AuthFailureTracker
from centrex.registrar.store import CredentialInfo, Directory, TenantInfo
from centrex.sip.digest import AuthResult, Credentials, DigestServer, parse_credentials
from centrex.sip.errors import DigestError
from centrex.sip.message import Request
from centrex.sip.uri import unescape

log = logging.getLogger(__name__)
SHA256 = "SHA-256"


@dataclass(frozen=True, slots=True)
class Authenticated:
    """The request carries valid credentials of `credential` in `tenant`."""

    tenant: TenantInfo
    credential: CredentialInfo
    algorithm: str

    @property
    def number(self) -> str:
        """The authenticated device's extension number."""
        return self.credential.number

    @property
    def username(self) -> str:
        """The digest username it authenticated with."""
        return self.credential.username


@dataclass(frozen=True, slots=True)
class AuthReply:
    """What to answer instead of serving the request (401/407 challenge, 403, 404)."""

    status: int
    reason: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    tenant: TenantInfo | None = None  # known for 401/407/403, None for 404


class ExtraSecrets(Protocol):
    """Other secrets an extension may answer a challenge with, as HA1s (never plaintext)."""

    async def ha1s(self, tenant_id: int, number: str, algorithm: str, now: float) -> list[str]:
        """HA1s for `algorithm` of the secrets of extension `number` valid at `now` (epoch)."""
        ...


def policy_algorithms(policy: str | None, configured: Sequence[str]) -> tuple[str, ...]:
    """The algorithms to offer (in order) and accept under `policy`.

    `configured` is the server's list (settings `sip_digest_algorithms`), the `compatible`
    order. An unknown policy value is treated as `compatible` (and logged) rather than locking
    a tenant's phones out.
    """
    configured = tuple(a.upper() for a in configured)
    try:
        chosen = DigestPolicy(policy) if policy else DigestPolicy.COMPATIBLE
    except ValueError:
        log.warning("unknown digest policy %r, using compatible", policy)
        chosen = DigestPolicy.COMPATIBLE
    if chosen is DigestPolicy.REQUIRE_SHA256:
        return (SHA256,)
    if chosen is DigestPolicy.PREFER_SHA256:
        return (SHA256, *(a for a in configured if a != SHA256))
    return configured


class DigestGate:
    """Challenge and verify digest credentials for a tenant's devices (see module doc)."""

    def __init__(
        self,
        directory: Directory,
        digest: DigestServer,
        failures: AuthFailureTracker,
        clock: Callable[[], float],
        extra_secrets: ExtraSecrets | None = None,
    ) -> None:
        self._directory = directory
        self._digest = digest
        self._failures = failures
        self._clock = clock
        self.extra_secrets = extra_secrets

    async def check(
        self,
        request: Request,
        *,
        source_host: str,
        hosts: Sequence[str],
        proxy: bool,
        method: str,
    ) -> Authenticated | AuthReply:
        """Authenticate `request` (see the module doc for the steps and answers).

        `hosts`: candidate tenant domains in order (REGISTER: the To host or the tenant the
        registrar resolved; INVITE: From host, then Request-URI host). `proxy`: challenge with
        407/Proxy-Authenticate and read Proxy-Authorization (a B2BUA acting as proxy for its
        devices, §22.3) instead of 401/WWW-Authenticate/Authorization. `method` is the one
        the digest response was computed over (the request's).
        """
        header = "Proxy-Authorization" if proxy else "Authorization"
        tenant = await self._tenant(request, hosts, header)
        if tenant is None:
            return AuthReply(404, "Not Found (unknown domain)")
        now = self._clock()
        credentials = _credentials_for(request, header, tenant.domain)
        if credentials is None:
            hint = await self._device_hint(request, tenant)
            return self._challenge(tenant, hint, now, proxy, stale=False)
        credential = await self._directory.credential(tenant.id, credentials.username)
        if credential is None:
            return self._failed(
                tenant, source_host, now, f"{method}: unknown user {credentials.username!r}"
            )
        allowed = self._algorithms(tenant, credential)
        if credentials.algorithm.upper() not in allowed:
            # e.g. MD5 from a device that requires SHA-256: never accepted, asked again
            return self._challenge(tenant, credential, now, proxy, stale=False)
        ha1 = credential.ha1(credentials.algorithm)
        if ha1 is None:
            return self._challenge(tenant, credential, now, proxy, stale=False)
        result = self._digest.verify(
            credentials, method, ha1, now, realm=tenant.domain, algorithms=allowed
        )
        if result is AuthResult.BAD_RESPONSE and self.extra_secrets is not None:
            result = await self._verify_extra(credentials, method, tenant, credential, now, allowed)
        if result is AuthResult.BAD_RESPONSE:
            return self._failed(
                tenant, source_host, now, f"{method}: wrong password for {credentials.username!r}"
            )
        if result is not AuthResult.OK:
            stale = result is AuthResult.STALE
            return self._challenge(tenant, credential, now, proxy, stale=stale)
        return Authenticated(tenant, credential, credentials.algorithm.upper())

    # ---- steps -----------------------------------------------------------------------------
    async def _verify_extra(
        self,
        credentials: Credentials,
        method: str,
        tenant: TenantInfo,
        credential: CredentialInfo,
        now: float,
        allowed: tuple[str, ...],
    ) -> AuthResult:
        """Step 5: the response checked against the extension's short-lived secrets."""
        assert self.extra_secrets is not None
        for ha1 in await self.extra_secrets.ha1s(
            tenant.id, credential.number, credentials.algorithm.upper(), now
        ):
            result = self._digest.verify(
                credentials, method, ha1, now, realm=tenant.domain, algorithms=allowed
            )
            if result is not AuthResult.BAD_RESPONSE:
                return result
        return AuthResult.BAD_RESPONSE

    async def _tenant(
        self, request: Request, hosts: Sequence[str], header: str
    ) -> TenantInfo | None:
        for host in hosts:
            if host:
                tenant = await self._directory.tenant_by_domain(host.strip("[]"))
                if tenant is not None:
                    return tenant
        # a phone configured with the server's address answers with its tenant's realm
        for value in request.headers.get_all(header):
            try:
                realm = parse_credentials(value).realm
            except DigestError:
                continue
            tenant = await self._directory.tenant_by_domain(realm)
            if tenant is not None:
                return tenant
        return None

    async def _device_hint(self, request: Request, tenant: TenantInfo) -> CredentialInfo | None:
        """The device a request without credentials probably comes from (its From user), so
        its own policy picks the challenges; only a hint, the answer is checked again."""
        from_ = request.from_
        user = from_.uri.user if from_ is not None and from_.uri.is_sip else None
        if not user:
            return None
        return await self._directory.credential(tenant.id, unescape(user))

    def _algorithms(self, tenant: TenantInfo, credential: CredentialInfo | None) -> tuple[str, ...]:
        policy = credential.digest_policy if credential is not None else None
        return policy_algorithms(policy or tenant.digest_policy, self._digest.algorithms)

    def _challenge(
        self,
        tenant: TenantInfo,
        credential: CredentialInfo | None,
        now: float,
        proxy: bool,
        *,
        stale: bool,
    ) -> AuthReply:
        headers = self._digest.challenge_headers(
            tenant.domain,
            now,
            stale=stale,
            proxy=proxy,
            algorithms=self._algorithms(tenant, credential),
        )
        if proxy:
            return AuthReply(407, "Proxy Authentication Required", headers, tenant)
        return AuthReply(401, "Unauthorized", headers, tenant)

    def _failed(self, tenant: TenantInfo, host: str, now: float, reason: str) -> AuthReply:
        log.info("authentication failure from %s for %s: %s", host, tenant.domain, reason)
        self._failures.record_failure(host, now, f"{reason} in {tenant.domain}")
        return AuthReply(403, "Forbidden", [], tenant)


def _credentials_for(request: Request, header: str, realm: str) -> Credentials | None:
    """The Digest value for our realm (a request may carry one per realm, §22.4); other
    schemes and unparseable values are skipped, so the sender is simply challenged again
    (RFC 4475 "regaut01")."""
    for value in request.headers.get_all(header):
        try:
            credentials = parse_credentials(value)
        except DigestError:
            continue
        if credentials.realm.lower() == realm.lower():
            return credentials
    return None
