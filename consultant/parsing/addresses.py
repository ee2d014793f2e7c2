"""The check that a reply address is one a mail relay can deliver to."""

from __future__ import annotations

import re

_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
)


def is_mail_address(address: str) -> bool:
    """Return whether *address* is a plain addr-spec that a relay can deliver to.

    Quoted local parts and address literals, which coders' mail never uses, count
    as malformed, and so does a domain without a dot ("dana@localhost").
    """
    return _ADDRESS.fullmatch(address) is not None
