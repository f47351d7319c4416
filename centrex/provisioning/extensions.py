"""Extensions, their SIP credentials and their voicemail boxes (tenant-scoped).

An extension is created with its mailbox (unless the caller opts out): callers of a new line
reach voicemail instead of "mailbox unavailable". Deleting an extension deletes its mailbox with
the messages and greetings in the same transaction, as the database's ON DELETE CASCADE always
did, and removes their audio files when the caller passes the media store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.data.models import (
    Conference,
    Extension,
    Number,
    RecordingLayout,
    RecordingMode,
    SipCredential,
    Tenant,
    User,
    VoicemailBox,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.provisioning import voicemail as voicemail_service
from centrex.provisioning.credentials import generate_password, ha1
from centrex.provisioning.storage import MediaStore
from centrex.provisioning.validation import check_extension_number, normalise_e164


@dataclass(frozen=True)
class CreatedExtension:
    """A new extension; `generated_password` is set only when Centrex chose the password.

    It is the only time the password exists outside the phone: show it once, never store it.
    The same holds for `voicemail_pin`, set with `mailbox` unless the caller opted out.
    """

    extension: Extension
    credential: SipCredential
    generated_password: str | None
    mailbox: VoicemailBox | None = None
    voicemail_pin: str | None = None


async def _tenant(scope: TenantScope) -> Tenant:
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    assert tenant is not None
    return tenant


async def _check_caller_id(scope: TenantScope, caller_id: str | None, country: str) -> str | None:
    """An outbound caller ID must be one of the tenant's own numbers."""
    if caller_id is None:
        return None
    e164 = normalise_e164(caller_id, country)
    if await scope.first(Number, Number.e164 == e164) is None:
        raise ValidationFailed(
            f"caller ID {e164} is not a number of this tenant",
            error_id="caller-id-not-owned",
            field="outbound_caller_id",
        )
    return e164


async def create_extension(
    scope: TenantScope,
    *,
    number: str,
    name: str = "",
    password: str | None = None,
    email: str | None = None,
    user_id: int | None = None,
    outbound_caller_id: str | None = None,
    username: str | None = None,
    record_calls: RecordingMode | None = None,
    record_layout: RecordingLayout | None = None,
    voicemail: bool = True,
) -> CreatedExtension:
    """A new extension with digest credentials (username defaults to the number).

    `record_calls` / `record_layout` left None follow the tenant's recording setting. With
    `voicemail` (the default) it also gets a mailbox with a generated PIN; messages are mailed
    to `email`, the extension's address (the mailbox has no address of its own).
    """
    tenant = await _tenant(scope)
    check_extension_number(number, tenant.extension_digits)
    if await scope.first(Extension, Extension.number == number) is not None:
        raise Conflict(
            f"extension {number} already exists in {scope.domain}",
            error_id="extension-number-taken",
            field="number",
        )
    if await scope.first(Conference, Conference.number == number) is not None:
        raise Conflict(f"{number} is a conference room of {scope.domain}",
                       error_id="extension-number-taken", field="number")  # fmt: skip
    if user_id is not None:
        await scope.get(User, user_id)
    if password is not None and len(password) < 8:
        raise ValidationFailed(
            "SIP password must have at least 8 characters",
            error_id="weak-password",
            field="password",
        )
    caller_id = await _check_caller_id(scope, outbound_caller_id, tenant.country)
    username = username or number
    if await scope.first(SipCredential, SipCredential.username == username) is not None:
        raise Conflict(f"SIP username {username} is taken", error_id="sip-username-taken")
    generated = generate_password() if password is None else None
    secret = password if password is not None else generated
    assert secret is not None
    extension = scope.add(
        Extension(
            number=number,
            display_name=name,
            email=email,
            user_id=user_id,
            outbound_caller_id=caller_id,
            record_calls=record_calls,
            record_layout=record_layout,
        )
    )
    await scope.session.flush()
    credential = scope.add(
        SipCredential(
            extension_id=extension.id,
            username=username,
            realm=scope.domain,
            ha1_md5=ha1(username, scope.domain, secret, "MD5"),
            ha1_sha256=ha1(username, scope.domain, secret, "SHA-256"),
        )
    )
    await scope.session.flush()
    if not voicemail:
        return CreatedExtension(extension, credential, generated)
    pin = voicemail_service.generate_pin()
    box = await voicemail_service.create_mailbox(scope, extension=number, pin=pin)
    return CreatedExtension(extension, credential, generated, box, pin)


async def list_extensions(scope: TenantScope) -> Sequence[Extension]:
    return await scope.list(Extension, order_by=Extension.number)


async def get_extension(scope: TenantScope, number: str) -> Extension:
    extension = await scope.first(Extension, Extension.number == number)
    if extension is None:
        raise NotFound(
            f"extension {number} not found in {scope.domain}", error_id="extension-not-found"
        )
    return extension


async def update_extension(
    scope: TenantScope,
    extension: Extension,
    *,
    name: str | None = None,
    email: str | None = None,
    user_id: int | None = None,
    outbound_caller_id: str | None = None,
    record_calls: RecordingMode | None = None,
    record_layout: RecordingLayout | None = None,
    inherit_recording: bool = False,
) -> Extension:
    """Change the editable fields of an extension (None leaves a field as it is).

    `inherit_recording` clears both recording overrides (the tenant's setting applies again)
    before `record_calls` / `record_layout` are applied.
    """
    if extension.tenant_id != scope.tenant_id:
        raise NotFound("extension not found", error_id="extension-not-found")
    if name is not None:
        extension.display_name = name
    if email is not None:
        extension.email = email or None
    if user_id is not None:
        await scope.get(User, user_id)
        extension.user_id = user_id
    if outbound_caller_id is not None:
        tenant = await _tenant(scope)
        extension.outbound_caller_id = await _check_caller_id(
            scope, outbound_caller_id or None, tenant.country
        )
    if inherit_recording:
        extension.record_calls = None
        extension.record_layout = None
    if record_calls is not None:
        extension.record_calls = record_calls
    if record_layout is not None:
        extension.record_layout = record_layout
    await scope.session.flush()
    return extension


async def set_sip_password(
    scope: TenantScope, extension: Extension, password: str | None = None
) -> str | None:
    """Replace the digest credentials; returns the password when Centrex generated it."""
    credential = await scope.first(SipCredential, SipCredential.extension_id == extension.id)
    if credential is None:
        raise NotFound("extension has no SIP credentials", error_id="credential-not-found")
    if password is not None and len(password) < 8:
        raise ValidationFailed(
            "SIP password must have at least 8 characters",
            error_id="weak-password",
            field="password",
        )
    generated = generate_password() if password is None else None
    secret = password if password is not None else generated
    assert secret is not None
    credential.ha1_md5 = ha1(credential.username, credential.realm, secret, "MD5")
    credential.ha1_sha256 = ha1(credential.username, credential.realm, secret, "SHA-256")
    await scope.session.flush()
    return generated


async def delete_extension(
    scope: TenantScope, number: str, store: MediaStore | None = None
) -> None:
    """Delete an extension; its numbers stay assigned to the tenant without a destination.

    Its mailbox goes with it, messages and greetings included (rows always; files when `store`
    is given), so nothing is left pointing at an extension that no longer exists.
    """
    extension = await get_extension(scope, number)
    await scope.update(Number, [Number.extension_id == extension.id], extension_id=None)
    box = await scope.first(VoicemailBox, VoicemailBox.extension_id == extension.id)
    if box is not None:
        await voicemail_service.remove_mailbox(scope, box, store)
    await scope.remove(extension)
    await scope.session.flush()


async def credential_for(session: AsyncSession, realm: str, username: str) -> SipCredential | None:
    """The digest credential of `username` in `realm` (the registrar's lookup)."""
    from sqlalchemy import select

    stmt = select(SipCredential).where(
        SipCredential.realm == realm, SipCredential.username == username
    )
    return (await session.scalars(stmt)).first()
