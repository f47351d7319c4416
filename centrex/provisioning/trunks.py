"""Carrier trunks and outbound routes (provider-owned)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.data.models import OutboundRoute, OutboundRouteTrunk, Trunk, TrunkTransport
from centrex.data.secrets_box import SecretBox
from centrex.errors import Conflict, NotFound, ValidationFailed

_HOST = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")


def _check_host(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    if not _HOST.match(host) or len(host) > 253:
        raise ValidationFailed(f"host {host!r} is not a host name or IP address", field="host")
    return host.lower()


async def create_trunk(
    session: AsyncSession,
    box: SecretBox,
    *,
    name: str,
    host: str,
    port: int = 5060,
    priority: int = 1,
    transport: str = "udp",
    username: str | None = None,
    password: str | None = None,
    max_calls: int | None = None,
    register: bool = False,
    enabled: bool = True,
) -> Trunk:
    """A carrier connection; the password is encrypted before it reaches the database."""
    if not name.strip():
        raise ValidationFailed("trunk name is empty", error_id="invalid-name", field="name")
    host = _check_host(host)
    if not 1 <= port <= 65535:
        raise ValidationFailed(f"port {port} is not 1–65535", error_id="invalid-port", field="port")
    if priority < 1:
        raise ValidationFailed(
            "priority must be 1 (primary) or more (backup)", error_id="invalid-priority"
        )
    if transport not in {t.value for t in TrunkTransport}:
        raise ValidationFailed(f"transport {transport!r} is not udp, tcp or tls", field="transport")
    if max_calls is not None and max_calls < 0:
        raise ValidationFailed("maximum calls cannot be negative", field="max_calls")
    if (password is None) != (username is None):
        raise ValidationFailed("give both --username and --password, or neither", field="username")
    if await session.scalar(select(Trunk.id).where(Trunk.name == name)) is not None:
        raise Conflict(f"trunk {name!r} already exists", error_id="trunk-name-taken")
    trunk = Trunk(
        name=name,
        host=host,
        port=port,
        transport=TrunkTransport(transport),
        username=username,
        password_encrypted=box.encrypt(password) if password is not None else None,
        priority=priority,
        max_calls=max_calls,
        register=register,
        enabled=enabled,
    )
    session.add(trunk)
    await session.flush()
    return trunk


async def list_trunks(session: AsyncSession) -> Sequence[Trunk]:
    return (await session.scalars(select(Trunk).order_by(Trunk.priority, Trunk.id))).all()


async def get_trunk(session: AsyncSession, name: str) -> Trunk:
    trunk = await session.scalar(select(Trunk).where(Trunk.name == name))
    if trunk is None:
        raise NotFound(f"trunk {name!r} not found", error_id="trunk-not-found")
    return trunk


async def create_route(
    session: AsyncSession, *, name: str, prefix: str, trunk_names: Sequence[str]
) -> OutboundRoute:
    """An outbound route: E.164 digits prefix (no '+', '' for all) → trunks tried in order."""
    prefix = prefix.lstrip("+")
    if prefix and not prefix.isdigit():
        raise ValidationFailed(f"prefix {prefix!r} must be digits", field="prefix")
    if not trunk_names:
        raise ValidationFailed("a route needs at least one trunk", field="trunks")
    if await session.scalar(select(OutboundRoute.id).where(OutboundRoute.name == name)):
        raise Conflict(f"route {name!r} already exists", error_id="route-name-taken")
    route = OutboundRoute(name=name, prefix=prefix)
    session.add(route)
    await session.flush()
    for position, trunk_name in enumerate(trunk_names):
        trunk = await get_trunk(session, trunk_name)
        session.add(OutboundRouteTrunk(route_id=route.id, trunk_id=trunk.id, position=position))
    await session.flush()
    return route


async def list_routes(session: AsyncSession) -> list[tuple[OutboundRoute, list[Trunk]]]:
    routes = (await session.scalars(select(OutboundRoute).order_by(OutboundRoute.prefix))).all()
    result: list[tuple[OutboundRoute, list[Trunk]]] = []
    for route in routes:
        stmt = (
            select(Trunk)
            .join(OutboundRouteTrunk, OutboundRouteTrunk.trunk_id == Trunk.id)
            .where(OutboundRouteTrunk.route_id == route.id)
            .order_by(OutboundRouteTrunk.position)
        )
        result.append((route, list((await session.scalars(stmt)).all())))
    return result


async def _route_links(session: AsyncSession, route_id: int) -> list[OutboundRouteTrunk]:
    if await session.get(OutboundRoute, route_id) is None:
        raise NotFound(f"route {route_id} not found", error_id="route-not-found")
    stmt = (
        select(OutboundRouteTrunk)
        .where(OutboundRouteTrunk.route_id == route_id)
        .order_by(OutboundRouteTrunk.position, OutboundRouteTrunk.id)
    )
    return list((await session.scalars(stmt)).all())


def _renumber(links: Sequence[OutboundRouteTrunk]) -> None:
    for position, link in enumerate(links):
        link.position = position


async def move_route_trunk(
    session: AsyncSession, route_id: int, trunk_id: int, offset: int
) -> None:
    """Move a trunk `offset` places in its route's failover order (-1: tried earlier); moving
    past either end keeps it at that end."""
    links = await _route_links(session, route_id)
    index = next((i for i, link in enumerate(links) if link.trunk_id == trunk_id), None)
    if index is None:
        raise NotFound(f"trunk {trunk_id} is not in this route", error_id="route-trunk-not-found")
    link = links.pop(index)
    links.insert(max(0, min(len(links), index + offset)), link)
    _renumber(links)
    await session.flush()


async def add_route_trunk(session: AsyncSession, route_id: int, trunk_name: str) -> None:
    """Append a trunk to a route (tried after the ones it has)."""
    links = await _route_links(session, route_id)
    trunk = await get_trunk(session, trunk_name)
    if any(link.trunk_id == trunk.id for link in links):
        raise Conflict(
            f"trunk {trunk_name!r} is already in this route", error_id="route-trunk-taken"
        )
    session.add(OutboundRouteTrunk(route_id=route_id, trunk_id=trunk.id, position=len(links)))
    await session.flush()


async def remove_route_trunk(session: AsyncSession, route_id: int, trunk_id: int) -> None:
    """Take a trunk out of a route; a route keeps at least one trunk (delete the route instead)."""
    links = await _route_links(session, route_id)
    keep = [link for link in links if link.trunk_id != trunk_id]
    if len(keep) == len(links):
        raise NotFound(f"trunk {trunk_id} is not in this route", error_id="route-trunk-not-found")
    if not keep:
        raise ValidationFailed("a route needs at least one trunk", field="trunks")
    for link in links:
        if link.trunk_id == trunk_id:
            await session.delete(link)
    _renumber(keep)
    await session.flush()
