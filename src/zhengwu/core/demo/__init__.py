"""The demo county 青川区: `zhengwu demo` loads it (idempotent, deterministic)."""
