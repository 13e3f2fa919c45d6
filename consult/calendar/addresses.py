"""Her calendar addresses reach the public internet only, never the server's own networks.

An address she types is fetched by the server: pointed at 127.0.0.1, 10.x or the cloud's
metadata service (169.254.169.254) it would read from inside. So every host is resolved and
every address it resolves to must be public, when she saves it and again at each fetch; the
ICS fetch connects to the very address that was checked (a DNS answer that changes between
the check and the connection cannot slip in), and each redirect is checked the same way.
"""

import ipaddress
import socket
import urllib.request
from http.client import HTTPConnection, HTTPSConnection
from urllib.parse import urljoin, urlsplit


class PrivateAddress(OSError):
    """The host is, or resolves to, a loopback, private, link-local or reserved address.

    An OSError, so urllib reports it as it reports any connection that could not be made.
    """


class UnknownHost(OSError):
    """The host name does not resolve."""


def is_public(address):
    """True for an address on the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def public_addresses(host, port, allow_private=False):
    """Every (family, type, proto, sockaddr) `host` resolves to; all must be public."""
    host = (host or "").strip("[]")
    if not host:
        raise UnknownHost("no host in the address")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnknownHost(f"the host {host!r} does not resolve") from error
    if not allow_private:
        refused = sorted({info[4][0] for info in found if not is_public(info[4][0])})
        if refused:
            raise PrivateAddress(f"the host {host!r} is a private or local address")
    return found


def check_url(url, allow_private=False):
    """Raise PrivateAddress or UnknownHost unless `url`'s host is public (or allowed)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme in ("https", "webcal") else 80)
    public_addresses(parts.hostname, port, allow_private)


def guarded_opener(allow_private=False, tls_context=None):
    """A urllib opener for http(s) only, whose every connection (redirects too) goes to a
    checked address; no proxy, FTP or file handler. `tls_context` (an ssl.SSLContext)
    says which certificate authorities to trust; None: the system's."""

    def connect(address, timeout=None, source_address=None):
        host, port = address
        last_error = None
        for family, kind, proto, _name, sockaddr in public_addresses(host, port, allow_private):
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as error:
                sock.close()
                last_error = error
        raise last_error or OSError("no address to connect to")

    class GuardedHTTPConnection(HTTPConnection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = connect

    class GuardedHTTPSConnection(HTTPSConnection):
        # TLS still checks the certificate against the host name, not the address.
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = connect

    class GuardedHTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(GuardedHTTPConnection, req)

    class GuardedHTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(GuardedHTTPSConnection, req, context=self._context)

    opener = urllib.request.OpenerDirector()
    for handler in (
        GuardedHTTPHandler(),
        GuardedHTTPSHandler(context=tls_context),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def redirect_guard(allow_private=False):
    """A requests/niquests response hook refusing a redirect to a private address before
    it is followed (CalDAV goes through caldav's own HTTP session)."""

    def check(response, *args, **kwargs):
        location = response.headers.get("Location") if response.is_redirect else None
        if location:
            check_url(urljoin(response.url, location), allow_private)
        return response

    return check
