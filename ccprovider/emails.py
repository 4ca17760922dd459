"""E-mail addresses in the one form users are compared in, and their look-alike skeletons.

Kept apart from `ccprovider.domain` because its libraries (email-validator, the
confusables table, ICU) take a tenth of a second to load: `domain` imports this module
when an address is first validated, so a process that never sees one never pays for it.
"""

import functools
import unicodedata

import email_validator
import icu
from confusable_homoglyphs.confusables import is_dangerous

_INVISIBLE = ("Cc", "Cf")
"""Unicode categories of control and format characters (BEL, zero-width space, the
right-to-left override): they make two addresses look the same, or one look like another."""


@functools.lru_cache(maxsize=65_536)
def normalized_email(value: str) -> str:
    """A declared e-mail address validated by `email-validator`, NFKC-normalized and
    case-folded (a full-width letter is the letter), without control or format characters,
    and without look-alike letters of several scripts within its local part or one domain
    label (a whole part in one script is fine). Remembered: a usage file names each user
    thousands of times, and validation is the slow part of reading it."""
    shown = value.strip()
    hidden = sorted({f"U+{ord(c):04X}" for c in shown if unicodedata.category(c) in _INVISIBLE})
    if hidden:
        raise ValueError(
            f"{shown!r} is not an e-mail address: it holds invisible or control characters "
            f"({', '.join(hidden)})"
        )
    folded = unicodedata.normalize("NFKC", shown).casefold()
    try:
        address = email_validator.validate_email(folded, check_deliverability=False).normalized
    except email_validator.EmailNotValidError as error:
        reason = str(error).rstrip(".")
        raise ValueError(
            f"{shown!r} is not an e-mail address such as name@example.com "
            f"({reason[:1].lower()}{reason[1:]})"
        ) from None
    local, _, domain = address.rpartition("@")
    if any(is_dangerous(part) for part in (local, *domain.split("."))):
        raise ValueError(
            f"{shown!r} mixes look-alike letters of several scripts (such as a Cyrillic a "
            "beside Latin letters): write it in one script"
        )
    return address


_SPOOF_CHECKER = icu.SpoofChecker()


def skeleton(address: str) -> str:
    """The Unicode TR39 skeleton of a normalized address (see `domain.email_skeleton`)."""
    return str(_SPOOF_CHECKER.getSkeleton(0, address))
