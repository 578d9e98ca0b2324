"""Camera stream URLs with credentials: stored as given, shown, logged and exported without the password.

Everything that leaves gridsight (status, errors, CLI output, exports) goes through `mask_url`
or `mask_urls_in_text`, so a password never reaches a screen or a log. Camera lists carry URLs
such as rtsp://admin:Pa/ss#1@10.1.2.3:554/... with the password written as typed, not
percent-encoded, so a URL parser would end the host at its '/' or '#' and leave the password
in plain sight. The host starts after the last '@' of the part after the scheme that precedes
the path, so the credentials are split off by hand. Media gateways put tokens in the query.
"""

from __future__ import annotations

import re

MASK = "***"
# Query parameters gateways put secrets in (matched case-insensitively).
_SECRET_QUERY = re.compile(r"([?&](?:password|passwd|pwd|pass|token|access_token|auth|key|secret|sign|signature"
                           r"|user|username)=)[^&#\s]*", re.IGNORECASE)
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*://)")
# A URL inside free text (error messages from FFmpeg or GStreamer quote the URL they opened).
_URL_IN_TEXT = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://\S+")


def split_credentials(url: str) -> tuple[str, str | None, str | None, str]:
    """(scheme://, user, password, host and the rest); user and password None when absent."""
    match = _SCHEME.match(url)
    if not match:
        return "", None, None, url
    scheme, rest = match.group(1), url[match.end():]
    # The last '@' before the first '/' that follows it: the host and path never hold one there.
    at = _last_userinfo_at(rest)
    if at < 0:
        return scheme, None, None, rest
    userinfo, host_and_rest = rest[:at], rest[at + 1:]
    user, colon, password = userinfo.partition(":")
    return scheme, user, password if colon else None, host_and_rest


def _last_userinfo_at(rest: str) -> int:
    """Index of the '@' that ends the credentials, or -1: the last '@' whose host part has no '/' before it
    ends (a password may hold '/', '#', '?' and '@'; a host does not)."""
    at = rest.rfind("@")
    while at >= 0:
        host = re.split(r"[/?#]", rest[at + 1:], maxsplit=1)[0]
        if host and "@" not in host:
            return at
        at = rest.rfind("@", 0, at)
    return -1


def mask_url(url: str | None) -> str:
    """The URL as it may be shown: rtsp://user:***@host/..., secret query values as ***."""
    if not url:
        return ""
    scheme, user, password, rest = split_credentials(url)
    if password is not None:
        rest = f"{user}:{MASK}@{rest}"
    elif user is not None:
        rest = f"{user}@{rest}"
    return _SECRET_QUERY.sub(lambda m: m.group(1) + MASK, scheme + rest)


def mask_urls_in_text(text: str) -> str:
    """Every URL inside a message with its credentials masked."""
    return _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)


def without_password(url: str | None) -> str | None:
    """The URL with its password left out (rtsp://user@host/...), for exports without secrets."""
    if not url:
        return url
    scheme, user, password, rest = split_credentials(url)
    if password is None:
        return url
    return f"{scheme}{user}@{rest}"


def keep_stored_password(incoming: str | None, stored: str | None) -> str | None:
    """An exported URL (password left out) re-imported over the stored one keeps the stored password."""
    if not incoming or not stored:
        return incoming
    _, _, password, _ = split_credentials(incoming)
    if password is None and without_password(stored) == incoming and stored != incoming:
        return stored
    return incoming
