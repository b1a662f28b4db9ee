"""Source links: full https:// addresses, never on a site that has closed down."""

from __future__ import annotations

from urllib.parse import urlparse

RETIRED_DOMAINS: dict[str, str] = {
    "valvira.fi": "Valvira ended on 31.12.2025; cite the Finnish Supervisory Agency "
                  "(Lupa- ja valvontavirasto) instead",
    "te-palvelut.fi": "TE Offices closed on 1.1.2025; cite the municipal employment services "
                      "or tyomarkkinatori.fi instead",
    "te-toimisto.fi": "TE Offices closed on 1.1.2025; cite tyomarkkinatori.fi instead",
    "mol.fi": "the old labour administration site is gone; cite tyomarkkinatori.fi instead",
    "maistraatti.fi": "the local registry offices are now the Digital and Population Data "
                      "Services Agency; cite dvv.fi instead",
    "vrk.fi": "the Population Register Centre is now the Digital and Population Data "
              "Services Agency; cite dvv.fi instead",
}
"""Sites of authorities that no longer exist, and what to cite instead."""


def is_https_url(url: object) -> bool:
    """Tell whether `url` is a full https:// link with a host name."""
    if not isinstance(url, str) or any(c.isspace() for c in url):
        return False
    parsed = urlparse(url)
    return parsed.scheme == "https" and "." in parsed.netloc


def retired_domain(url: str) -> str | None:
    """Return the retired domain `url` lies on (e.g. 'valvira.fi'), or None."""
    host = urlparse(url).netloc.lower().split(":")[0]
    for domain in RETIRED_DOMAINS:
        if host == domain or host.endswith("." + domain):
            return domain
    return None
