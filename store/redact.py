"""Keep credentials out of everything hubscan stores, prints or logs.

An endpoint may carry a password (`http://user:pass@mirror`), and a URL a token in its query string.
The crawler splits the credentials off the endpoint once, before anything else sees it: requests
carry them as HTTP Basic auth (to that host only), and every URL that is stored, logged or put in a
message is credential-free by construction. `redact` is the second lock, for text that might quote
a URL someone else built (a library's error message).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

# Query parameters that carry a secret (lower-cased): dropped from any URL we keep.
SECRET_PARAMS = frozenset({
    "token", "access_token", "hf_token", "api_key", "apikey", "key", "password", "passwd", "pwd", "secret",
    "client_secret", "auth", "authorization", "sig", "signature", "x-amz-signature", "x-amz-credential",
    "x-amz-security-token", "session", "sessionid",
})

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]*@")
_SECRET_QUERY = re.compile(r"(?i)([?&;](?:" + "|".join(re.escape(p) for p in sorted(SECRET_PARAMS)) + r")=)[^&#\s'\"]*")
_HF_TOKEN = re.compile(r"\bhf_[A-Za-z0-9]{8,}")


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """(the URL without userinfo, query or fragment, (user, password) or None).

    An endpoint is a base URL that paths are appended to, so a query string or fragment could never
    have worked there; any secret in them is dropped with them.
    """
    parts = urlsplit(url.strip())
    auth = None
    if parts.username is not None or parts.password is not None:
        auth = (unquote(parts.username or ""), unquote(parts.password or ""))
    clean = urlunsplit((parts.scheme, _host_port(parts), parts.path.rstrip("/"), "", ""))
    return clean, auth


def strip_credentials(url: str | None) -> str | None:
    """The URL without userinfo and without query parameters that carry a secret."""
    if url is None:
        return None
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in SECRET_PARAMS])
    return urlunsplit((parts.scheme, _host_port(parts), parts.path, query, parts.fragment))


def redact(text: str | None) -> str | None:
    """Free text with any URL userinfo, secret query value and Hugging Face token blanked out."""
    if not text:
        return text
    text = _USERINFO.sub(r"\1", text)
    text = _SECRET_QUERY.sub(r"\1***", text)
    return _HF_TOKEN.sub("hf_***", text)


def same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def _host_port(parts) -> str:
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port is not None else host
