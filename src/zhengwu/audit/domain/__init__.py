from .chain import (
    GENESIS_HASH,
    ChainProblem,
    audit_record,
    audit_verify,
    audited_atomic,
    event_hash,
    event_prefix,
)

__all__ = [
    "GENESIS_HASH",
    "ChainProblem",
    "audit_record",
    "audit_verify",
    "audited_atomic",
    "event_hash",
    "event_prefix",
]
