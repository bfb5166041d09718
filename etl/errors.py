"""One error tree for the whole library.

    PosWarehouseError
    ├── ConfigError                 settings missing or invalid (names the variables)
    ├── VendorError                 a vendor call failed (vendor, endpoint, status, code, message)
    │   ├── TransientVendorError    worth retrying: 5xx, dropped connection, timeout
    │   │   ├── VendorTimeout
    │   │   └── VendorUnavailable
    │   ├── PermanentVendorError    never retried: the same request fails the same way
    │   │   ├── VendorAuthError     bad signature, unknown app
    │   │   └── VendorRequestError  bad parameters, other 4xx business errors
    │   ├── ResponseTooLarge        body over the configured cap: split the window instead
    │   └── QuotaExhausted          the daily call budget is spent: stop, resume tomorrow
    ├── RecordError                 one record failed validation (goes to meta.rejects)
    └── LoadError                   a load unit failed (names vendor, shop and window)

Messages carry vendor, endpoint, HTTP status and the vendor's own code and message, and never
a secret: app keys and private keys are not passed into any error.
"""

from __future__ import annotations


class PosWarehouseError(Exception):
    """Root of every error this project raises on purpose."""


class ConfigError(PosWarehouseError):
    """Settings are missing or invalid; the message names each variable."""


class VendorError(PosWarehouseError):
    """A call to a vendor API failed."""

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        endpoint: str,
        status: int | None = None,
        code: int | str | None = None,
        vendor_message: str | None = None,
    ) -> None:
        self.vendor = vendor
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.vendor_message = vendor_message
        parts = [f"{vendor} {endpoint}: {message}"]
        if status is not None:
            parts.append(f"HTTP {status}")
        if code is not None:
            parts.append(f"code {code}")
        if vendor_message:
            parts.append(f"vendor says {vendor_message!r}")
        super().__init__(" | ".join(parts))


class TransientVendorError(VendorError):
    """Worth retrying with backoff: server errors, dropped connections, timeouts."""


class VendorTimeout(TransientVendorError):
    """The vendor did not answer within the configured timeout."""


class VendorUnavailable(TransientVendorError):
    """HTTP 5xx, a dropped connection or a body that ended early."""


class PermanentVendorError(VendorError):
    """The same request will fail the same way: never retried."""


class VendorAuthError(PermanentVendorError):
    """Signature rejected or app unknown to the vendor."""


class VendorRequestError(PermanentVendorError):
    """Bad parameters or another business error the vendor reported."""


class ResponseTooLarge(VendorError):
    """The response passed the byte cap; the caller splits the request window."""


class QuotaExhausted(VendorError):
    """The vendor's daily call quota (as budgeted by us) is spent. Not retried today: the load
    stops cleanly and says what is left to fetch; the next day's run resumes."""


class RecordError(PosWarehouseError):
    """One record failed validation. It is kept in meta.rejects with its raw payload."""

    def __init__(self, reason: str, *, key: str | None = None) -> None:
        self.reason = reason
        self.key = key
        super().__init__(f"{reason} (key={key})" if key else reason)


class LoadError(PosWarehouseError):
    """A load unit failed; the message names vendor, shop and window."""
