"""A small HTTP client for the web tests (the hall web's and the district web's): just enough for
forged and unusual requests, which a browser will not send. Imported by name, as testkit is."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlencode, urlparse

from testkit import WAIT_S

PASSWORD = "correct horse 42"  # every test user's password


class Client:
    """Just enough HTTP for forged and unusual requests: keeps cookies, never follows redirects."""

    def __init__(self, url: str):
        parsed = urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=WAIT_S)
        all_headers = dict(headers or {})
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                cookie_value = rest.split(";")[0]
                if "expires=Thu, 01 Jan 1970" in value or "Max-Age=0" in value:
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = cookie_value.strip('"')
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, form: dict, headers: dict | None = None):
        return self.request(
            "POST",
            path,
            urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        )

    def login(self, name: str, password: str = PASSWORD):
        status, _, html = self.get("/login")
        assert status == 200
        token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
        return self.post("/login", {"csrf": token, "name": name, "password": password, "next": "/"})

    def csrf(self, path: str = "/") -> str:
        """The session's CSRF token, as a page's forms carry it."""
        status, _, html = self.get(path)
        assert status == 200, status
        return re.search(r'name="csrf" value="([^"]+)"', html).group(1)
