"""Camera stream URLs as they may be shown, logged or exported: with their credentials masked.

Registries carry URLs such as rtsp://admin:123456@10.1.2.3:554/... and media gateways put tokens
in the query string. Everything that leaves the engine (status, errors, CLI output, exports)
goes through `mask_url` or `mask_urls_in_text`, so a password never reaches a screen or a log.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
# Query parameters that gateways use for secrets (lower case; matched case-insensitively).
SECRET_PARAMS = {"password", "passwd", "pwd", "pass", "token", "access_token", "auth", "key", "secret",
                 "sign", "signature", "user", "username"}
# scheme://userinfo@ anywhere in free text (error messages from FFmpeg or GStreamer).
_USERINFO_IN_TEXT = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
_SECRET_PARAM_IN_TEXT = re.compile(r"(?P<key>[?&](?:%s)=)[^&\s]*" % "|".join(sorted(SECRET_PARAMS)),
                                   re.IGNORECASE)


def mask_url(url: str | None) -> str:
    """The URL with user, password and secret query values replaced by ***; other parts kept."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
        netloc = parts.netloc
    except ValueError:
        return mask_urls_in_text(url)
    if "@" in netloc:
        netloc = MASK + "@" + netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(key, MASK if key.lower() in SECRET_PARAMS else value) for key, value in pairs],
                          safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_urls_in_text(text: str) -> str:
    """Mask credentials of every URL inside a message, e.g. an FFmpeg error quoting the URL."""
    text = _USERINFO_IN_TEXT.sub(lambda m: m.group("scheme") + MASK + "@", text)
    return _SECRET_PARAM_IN_TEXT.sub(lambda m: m.group("key") + MASK, text)

