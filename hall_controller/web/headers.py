"""What every staff web of the suite serves the same way: the strict security headers, the
shipped static files and the Chinese web font. The hall's management web and the district web
both use these; nothing here knows a hall or a controller.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from drivers import fonts

STATIC = Path(__file__).parent / "static"
FONTS = {"NotoSansSC-Regular.otf": fonts.REGULAR, "NotoSansSC-Bold.otf": fonts.BOLD}
HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        b"base-uri 'none'",
    ),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
]


class SecurityHeaders:
    """Adds HEADERS to every HTTP response (a plain ASGI wrapper: streams pass through untouched)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _etag(path: Path) -> str:
    stat = path.stat()
    return '"' + hashlib.sha1(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16] + '"'


async def font(request: Request) -> Response:
    path = FONTS.get(request.path_params["name"])
    if path is None:
        return Response(status_code=404)
    etag = _etag(path)
    headers = {"Cache-Control": "public, max-age=604800", "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type="font/otf", headers=headers)
