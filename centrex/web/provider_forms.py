"""What the provider pages share: role checks, the form savepoint, and reading form fields.

Like the tenant pages (`pages.py`), a form's work runs in a savepoint: a `CentrexError` rolls
it back and becomes the page's message, so a refused form changes nothing. Field readers raise
`ValidationFailed` naming the field, which the savepoint turns into that message too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from centrex.data.models import Role
from centrex.errors import CentrexError, Forbidden, ValidationFailed
from centrex.web.i18n import Translate, translator
from centrex.web.portal import PageContext, language_for


def t_of(ctx: PageContext) -> Translate:
    return translator(language_for(ctx.request, ctx.principal))


def require_staff(ctx: PageContext) -> None:
    """Platform admins and partners (a partner then sees only its own tenants)."""
    if not ctx.principal.is_staff:
        raise Forbidden("staff only")


def require_platform_admin(ctx: PageContext) -> None:
    """Provider-wide objects (trunks, number ranges, bans) are the platform admin's alone."""
    if ctx.principal.role != Role.PLATFORM_ADMIN:
        raise Forbidden("platform administrators only")


async def attempt(ctx: PageContext, work: Callable[[], Awaitable[str]]) -> tuple[str, str]:
    """Run a form's work in a savepoint: (message, "ok") or (error message, "error")."""
    try:
        async with ctx.session.begin_nested():
            return await work(), "ok"
    except CentrexError as exc:
        return t_of(ctx)("error.generic", message=exc.message), "error"


def int_field(form: dict[str, str], name: str, default: int | None = None) -> int | None:
    """An integer form field; blank gives `default`, anything else not a number is refused."""
    text = form.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError as exc:
        raise ValidationFailed(f"{name} must be a whole number", field=name) from exc


def required_int(form: dict[str, str], name: str, default: int | None = None) -> int:
    value = int_field(form, name, default)
    if value is None:
        raise ValidationFailed(f"{name} is required", field=name)
    return value


def text_field(form: dict[str, str], name: str, limit: int = 200) -> str:
    return form.get(name, "").strip()[:limit]
