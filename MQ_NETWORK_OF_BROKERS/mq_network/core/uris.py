"""Network connector URIs read as ActiveMQ reads them, and made safe to quote.

ActiveMQ 5.17 turns a `<networkConnector uri="...">` into a java.net.URI, picks a discovery agent
by its scheme (static:, masterslave:, simple:, or multicast:/zeroconf:, which name no peer), and
splits composite URIs with `org.apache.activemq.util.URISupport.parseComposite`: the part after
`#` is a fragment and is dropped, options after `)?` are kept apart, components split on commas
outside parentheses, and failover:/fanout: components nest. Each leaf's host is what
java.net.URI reads from its authority (None where Java reads none, such as `127.1` or a host
with `_`, and ActiveMQ then connects nowhere). tests/activemq/test_uri_reader.py makes
ActiveMQ's own classes the judge of this module, URI by URI.

Everything here is pure and standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # ipaddress is imported where an address is read, off the handler's import path
    import ipaddress

# ActiveMQ's discovery agents (activemq-client's META-INF/services/.../discoveryagent/): the
# scheme of a connector's uri must be one of them, exactly as written (the lookup is case-sensitive).
DISCOVERY_AGENTS = {"static", "simple", "masterslave", "multicast", "zeroconf"}
_LISTING_AGENTS = {"static", "simple", "masterslave"}  # agents whose uri lists the peers
_COMPOSITE_TRANSPORTS = {"failover", "fanout"}  # transports whose uri lists transports

# Patterns are strings compiled on first use (the re module's cache): only connector checks pay.
_SCHEME = r"[A-Za-z][A-Za-z0-9+.-]*"
# Characters java.net.URI refuses anywhere, and a % that does not start an escape.
_ILLEGAL = r'[\x00-\x20"<>\\^`{|}\x7f]|%(?![0-9A-Fa-f]{2})'
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_UNRESERVED = _ALNUM + "-_.!~*'()"
_USERINFO = set(_UNRESERVED + "%;:&=+$,")
_SERVER = _USERINFO | set(_ALNUM + "-.:@[]")
_REGISTRY = set(_UNRESERVED + "%$,;:@&=+")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOSTNAME = rf"(?:{_LABEL}\.)*(?P<last>{_LABEL})\.?"
_IPV4_URI = r"([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)"
# Credentials wherever they are written: userinfo before a host, and password-like options.
# Userinfo as java.net.URI reads it may hold `(`, `)`, `,`, quotes and `@`; a URI split at a comma or
# left unreadable may leave it without its `//`. So any run of characters without a space or `/` that
# ends in `@` goes, up to its last `@` (a leading quote or bracket is kept): over-redacting a quote
# is harmless, quoting a password is not.
_USERINFO_TEXT = r"""(['"(,<]?)[^\s/]*@"""
_SECRET_OPTION = r"(?i)((?:password|passwd|pass|pwd|secret|token|key)[a-z]*=)[^&()\s,#\"'<>]*"


class UriError(ValueError):
    """ActiveMQ cannot read this connector URI (the broker refuses the connector)."""


class Transport(NamedTuple):
    """One transport a connector's bridge would open: a leaf of the URI."""

    scheme: str | None  # as written (ActiveMQ looks transports up case-sensitively)
    host: str | None  # as java.net.URI reads it; None when it reads no host
    port: int  # -1 when none is written
    written: str  # the leaf as written, credentials removed
    # For a leaf inside failover:(...): whether that failover keeps reconnecting for good
    # (no maxReconnectAttempts=0), which loses a duplex bridge's way back after a failover.
    fragile_failover: bool = False


class Reading(NamedTuple):
    """A connector URI as ActiveMQ reads it."""

    agent: str  # the discovery agent (static, masterslave, simple, multicast, zeroconf)
    transports: tuple[Transport, ...]  # what a listing agent names; () for multicast/zeroconf


def redact(text: str) -> str:
    """`text` with every userinfo (`//user:secret@`) and password-like option value removed."""
    return re.sub(_SECRET_OPTION, r"\1***", re.sub(_USERINFO_TEXT, r"\1", text))


def read_uri(uri: str) -> Reading:
    """How ActiveMQ reads a networkConnector's uri; UriError when it cannot (the reason is safe to quote)."""
    scheme, ssp, _ = _java_uri(uri.strip())
    if scheme is None:
        raise UriError("it has no scheme (write static:(...) or masterslave:(...))")
    if scheme not in DISCOVERY_AGENTS:
        raise UriError(f"ActiveMQ has no discovery agent {scheme!r} (write static:(...) or masterslave:(...))")
    if scheme not in _LISTING_AGENTS:
        return Reading(scheme, ())
    transports: list[Transport] = []
    for component in _components(ssp):
        transports.extend(_leaves(component, fragile=False))
    if scheme == "masterslave":  # ActiveMQ wraps these in failover:(...)?maxReconnectAttempts=0 itself
        transports = [t._replace(fragile_failover=False) for t in transports]
    return Reading(scheme, tuple(transports))


def _leaves(text: str, fragile: bool) -> list[Transport]:
    """The transports one component opens: failover:/fanout: nest, anything else is a leaf."""
    scheme, ssp, authority = _java_uri(text)
    if scheme in _COMPOSITE_TRANSPORTS:
        options = _options(ssp)
        attempts = options.get("maxReconnectAttempts", "")
        nested = scheme == "failover" and not (attempts.strip().lstrip("+-").isdigit() and int(attempts) == 0)
        found: list[Transport] = []
        for component in _components(ssp):
            found.extend(_leaves(component, fragile or nested))
        return found
    host, port = _authority(authority) if authority is not None else (None, -1)
    return [Transport(scheme, host, port, redact(text), fragile)]


def _java_uri(text: str) -> tuple[str | None, str, str | None]:
    """(scheme, raw scheme-specific part without the fragment, authority or None), as java.net.URI parses."""
    bad = re.search(_ILLEGAL, text)
    if bad:
        raise UriError(f"character {bad.group()!r} at {bad.start()} is not allowed in a URI")
    if text.count("#") > 1:
        raise UriError("a URI has at most one '#'")
    before = text.split("#", 1)[0]
    head = re.match(r"[^/?#:]*:", before)
    if head is None:
        return None, before, None
    scheme = head.group()[:-1]
    if not re.fullmatch(_SCHEME, scheme):
        raise UriError(f"{redact(scheme)[:40]!r} is not a URI scheme")
    ssp = before[len(scheme) + 1 :]
    if not ssp:
        raise UriError("nothing follows the scheme")
    authority = re.split(r"[/?]", ssp[2:], maxsplit=1)[0] if ssp.startswith("//") else None
    return scheme, ssp, authority


def _components(ssp: str) -> list[str]:
    """URISupport.parseComposite's components of a composite URI's scheme-specific part."""
    text = ssp.strip()
    text = (text[2:] if text.startswith("//") else text).strip()
    if text.count("(") != text.count(")"):
        raise UriError("its parentheses do not match")
    if text.startswith("("):
        text = text[1 : _closing(text)]
    parts, depth, last = [], 0, 0
    for index, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(text[last:index])
            last = index + 1
    if text[last:]:
        parts.append(text[last:])
    return [part.strip() for part in parts]


def _closing(text: str) -> int:
    """URISupport.indexOfParenthesisMatch: where the parenthesis opening `text` closes."""
    depth = 0
    for index, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0:
            return index
    raise UriError("its parentheses do not match")


def _options(ssp: str) -> dict[str, str]:
    """The options after a composite's closing parenthesis (`(...)?a=b&c=d`)."""
    text = ssp.strip()
    text = (text[2:] if text.startswith("//") else text).strip()
    tail = text[_closing(text) + 1 :] if text.startswith("(") and text.count("(") == text.count(")") else ""
    query = tail.split("?", 1)[1] if "?" in tail else ""
    from urllib.parse import unquote

    options = {}
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if key:
            options[unquote(key)] = unquote(value)
    return options


def _authority(authority: str) -> tuple[str | None, int]:
    """(host, port) as java.net.URI reads an authority: server-based, or else registry-based (no host)."""
    if authority and set(authority) <= _SERVER:
        server = _server(authority)
        if server is not None:
            return server
    if set(authority) <= _REGISTRY:
        return None, -1
    raise UriError("its authority is neither a host nor a registry name")


def _server(authority: str) -> tuple[str, int] | None:
    """java.net.URI's parseServer: [userinfo@]host[:port]; None where Java falls back to registry."""
    rest = authority
    userinfo = re.match(r"[^@]*", rest)
    if userinfo and userinfo.end() < len(rest) and set(userinfo.group()) <= _USERINFO:
        rest = rest[userinfo.end() + 1 :]
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            return None
        host, rest = rest[: end + 1], rest[end + 1 :]
        import ipaddress

        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return None
    else:
        host = re.match(r"[^:]*", rest).group()  # type: ignore[union-attr]
        rest = rest[len(host) :]
        if not _java_host(host):
            return None
    if not rest:
        return host, -1
    port = rest[1:]
    if not port:
        return host, -1
    if not port.isdigit() or not port.isascii() or int(port) >= 2**31:
        return None
    return host, int(port)


def _java_host(host: str) -> bool:
    """Whether java.net.URI reads `host` as an IPv4 address or a host name."""
    octets = re.fullmatch(_IPV4_URI, host)
    if octets and all(len(o) <= 9 and int(o) <= 255 for o in octets.groups()):
        return True
    name = re.fullmatch(_HOSTNAME, host)
    if name is None:
        return False
    several = "." in host.rstrip(".")
    return not several or name["last"][0].isalpha()


def ipv4_value(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host written as a number stands for, in any notation a resolver takes.

    Java 17's InetAddress reads 1 to 4 decimal parts (leading zeros stay decimal: 2130706433,
    127.1, 127.000.000.001, 0); C resolvers (inet_aton) also read 0x hex and 0-led octal parts.
    Both readings are returned through `ipv4_readings`; this one is Java's.
    """
    readings = ipv4_readings(host)
    return readings[0] if readings else None


def ipv4_readings(host: str) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address `host` can stand for: Java's decimal reading first, then inet_aton's."""
    found = []
    for base_of in (_decimal, _c_base):
        value = _numeric(host, base_of)
        if value is not None and value not in found:
            found.append(value)
    return found


def _decimal(part: str) -> int | None:
    return int(part) if part.isdigit() and part.isascii() else None


def _c_base(part: str) -> int | None:
    lowered = part.lower()
    try:
        if lowered.startswith("0x"):
            return int(lowered[2:], 16) if lowered[2:] else 0
        if lowered.startswith("0") and len(lowered) > 1:
            return int(lowered[1:], 8)
        return _decimal(lowered)
    except ValueError:
        return None


def _numeric(host: str, read: Callable[[str], int | None]) -> ipaddress.IPv4Address | None:
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or any(not p or len(p) > 12 for p in parts):
        return None
    read_values = [read(p) for p in parts]
    values = [v for v in read_values if v is not None]
    if len(values) != len(read_values):
        return None
    *leading, last = values
    if any(v > 255 for v in leading) or last >= 256 ** (5 - len(parts)):
        return None
    number = last
    for position, value in enumerate(leading):
        number += value << (8 * (3 - position))
    import ipaddress

    return ipaddress.IPv4Address(number)
