"""A signing client for the departmental systems API, as a department's own system would sign."""

import json
import secrets
from dataclasses import dataclass

from django.utils import timezone

from zhengwu.cases.domain.external import external_signature
from zhengwu.cases.models import ExternalSystem

WALK_IN = {"kind": "legal", "name": "青川绿源农业科技有限公司"}


@dataclass
class SignedClient:
    client: object
    system: ExternalSystem
    secret: str

    def send(
        self,
        method: str,
        path: str,
        payload: dict | None = None,
        *,
        timestamp: str | None = None,
        nonce: str | None = None,
        secret: str | None = None,
        key: str | None = None,
        drop: tuple[str, ...] = (),
        ensure_ascii: bool = False,
        raw: bytes | None = None,
        **extra,
    ):
        # ensure_ascii=True sends what UTF-8 cannot carry (a lone surrogate) as a JSON escape, as a client may;
        # raw: these very bytes as the body, signed
        body = json.dumps(payload, ensure_ascii=ensure_ascii).encode() if payload is not None else b""
        body = raw if raw is not None else body
        timestamp = timestamp if timestamp is not None else str(int(timezone.now().timestamp()))
        nonce = nonce or secrets.token_hex(16)
        signature = external_signature(
            secret or self.secret, method=method, path=path, timestamp=timestamp, nonce=nonce, body=body
        )
        headers = {
            "X-Zhengwu-Key": key or self.system.key_id,
            "X-Zhengwu-Timestamp": timestamp,
            "X-Zhengwu-Nonce": nonce,
            "X-Zhengwu-Signature": signature,
        }
        headers = {name: value for name, value in headers.items() if name not in drop}
        return self.client.generic(method, path, data=body, content_type="application/json", headers=headers, **extra)

    def register(self, payload: dict, **kwargs):
        return self.send("POST", "/api/external/cases", payload, **kwargs)

    def event(self, number: str, payload: dict, **kwargs):
        return self.send("POST", f"/api/external/cases/{number}/events", payload, **kwargs)

    def get(self, number: str, **kwargs):
        return self.send("GET", f"/api/external/cases/{number}", **kwargs)


def registration(hall, external_id: str = "SCJG-2026-000123", **overrides) -> dict:
    values = {
        "external_id": external_id,
        "implementation_code": hall.version.item.implementation_code,
        "applicant": WALK_IN | {"id_number": hall.enterprise.enterprise.credit_code, "phone": "13953600003"},
        "received_at": "2026-03-02T09:00:00+08:00",
        "channel": "window",
        "materials": [{"name": "食品经营许可申请书", "status": "provided"}, {"name": "营业执照", "status": "missing"}],
        "form_data": {"经营场所": "青河大道 8 号"},
    }
    return values | overrides
