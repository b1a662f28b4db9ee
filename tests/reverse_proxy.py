"""A reverse proxy like nginx in front of the webhook: passes the path through unchanged and
writes an access log line per request (method, path, status), as operators' proxies do."""

from __future__ import annotations

from types import TracebackType

import aiohttp
from aiohttp import web

_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "host",
                         "content-length"})


class ReverseProxy:
    """Forward every request on 127.0.0.1 to `upstream` (http://host:port), path unchanged."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.access_log: list[str] = []
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        """Return the proxy's own origin, e.g. http://127.0.0.1:8080."""
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> ReverseProxy:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        try:
            async with self._session.request(
                    request.method, self.upstream + request.path_qs, headers=headers,
                    data=await request.read()) as answer:
                body, status = await answer.read(), answer.status
                content_type = answer.headers.get("Content-Type", "text/plain")
        except aiohttp.ClientError:
            body, status, content_type = b"bad gateway", 502, "text/plain"
        self.access_log.append(f'127.0.0.1 "{request.method} {request.path_qs} HTTP/1.1" '
                               f"{status} {len(body)}")
        return web.Response(body=body, status=status,
                            headers={"Content-Type": content_type})
