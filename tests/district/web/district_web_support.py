"""Helpers of the district web tests, imported by name (this folder is on sys.path): a module name
of its own, since every test folder's `conftest` is a top-level module named `conftest`."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlencode, urlparse

WAIT_S = 10.0
PASSWORD = "correct horse 42"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]


class Client:
    """Just enough HTTP for forged and unusual requests: keeps cookies, never follows redirects.
    (As tests/web/conftest.py's, which cannot be imported from here.)"""

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
                if "expires=Thu, 01 Jan 1970" in value or "Max-Age=0" in value:
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = rest.split(";")[0].strip('"')
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, form: dict, headers: dict | None = None):
        return self.request("POST", path, urlencode(form).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})

    def login(self, name: str, password: str = PASSWORD):
        status, _, html = self.get("/login")
        assert status == 200
        token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
        return self.post("/login", {"csrf": token, "name": name, "password": password, "next": "/"})

    def csrf(self, path: str = "/") -> str:
        status, _, html = self.get(path)
        assert status == 200, status
        return re.search(r'name="csrf" value="([^"]+)"', html).group(1)
