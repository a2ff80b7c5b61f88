"""Deterministic invented people, enterprises and codes for the demo (no database access)."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from zhengwu.accounts.domain.identity import credit_code_check_char, resident_id_check_char
from zhengwu.core.demo import data

_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Characters allowed in the body of a 统一社会信用代码 (GB 32100: no I, O, Z, S, V).
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def org_code_check_char(first8: str) -> str:
    """GB 11714 check character of a 9-character organisation code."""
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(first8, _GB11714_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_credit_code(kind: str, org_body: str, *, area: str = data.AREA_CODE) -> str:
    """统一社会信用代码: 2-char registry/kind ("11" government body, "91" company) + area + org code + check."""
    first17 = kind + area + org_body + org_code_check_char(org_body)
    return first17 + credit_code_check_char(first17)


def department_credit_code(department_code: str) -> str:
    rng = random.Random(f"zhengwu-demo-department:{department_code}")
    return make_credit_code("11", "MB" + "".join(rng.choice("0123456789") for _ in range(6)))


def person_name(rng: random.Random, used: set[str], *, male: bool | None = None) -> tuple[str, bool]:
    """An invented Chinese name not in `used` (which it joins), and whether it is a man's name."""
    if male is None:
        male = rng.random() < 0.5
    chars = data.MALE_GIVEN if male else data.FEMALE_GIVEN
    while True:
        given = "".join(rng.choice(chars) for _ in range(1 if rng.random() < 0.3 else 2))
        full = rng.choice(data.SURNAMES) + given
        if full not in used:
            used.add(full)
            return full, male


def item_rng(kind: str, key: object) -> random.Random:
    """One generator per item, so editing one part of the demo never reshuffles the others."""
    return random.Random(f"zhengwu-demo-{kind}:{key}")


@dataclass(frozen=True)
class CitizenSpec:
    name: str
    phone: str
    id_number: str


@dataclass(frozen=True)
class EnterpriseSpec:
    name: str
    credit_code: str
    legal_representative: str
    address: str


def _resident_id(rng: random.Random, male: bool, used: set[str]) -> str:
    start, span = date(1950, 1, 1), (date(2006, 12, 31) - date(1950, 1, 1)).days
    while True:
        born = start + timedelta(days=rng.randrange(span + 1))
        seq = rng.randrange(0, 500) * 2 + (1 if male else 0)  # odd = male, even = female (GB 11643)
        first17 = f"{data.AREA_CODE}{born:%Y%m%d}{seq:03d}"
        number = first17 + resident_id_check_char(first17)
        if number not in used:
            used.add(number)
            return number


def citizens(count: int = data.CITIZEN_COUNT, *, used_names: set[str] | None = None) -> list[CitizenSpec]:
    used = used_names if used_names is not None else set()
    featured_name, featured_phone = data.FEATURED_CITIZEN
    used.add(featured_name)
    phones, ids = {featured_phone}, set()
    result = [CitizenSpec(featured_name, featured_phone, _resident_id(item_rng("citizen", 0), True, ids))]
    for i in range(1, count):
        rng = item_rng("citizen", i)
        name, male = person_name(rng, used)
        phone = featured_phone
        while phone in phones:
            phone = f"139{rng.randrange(10**8):08d}"
        phones.add(phone)
        result.append(CitizenSpec(name, phone, _resident_id(rng, male, ids)))
    return result


def enterprises(count: int = data.ENTERPRISE_COUNT, *, used_names: set[str] | None = None) -> list[EnterpriseSpec]:
    used = used_names if used_names is not None else set()
    names, codes = set(), set()
    result = []
    for i in range(count):
        rng = item_rng("enterprise", i)
        name = data.FEATURED_ENTERPRISE if i == 0 else ""
        while not name or name in names:
            prefix = rng.choice(("青川区", "青川", "青川区", "山东青川"))
            name = prefix + rng.choice(data.BRAND_NAMES) + rng.choice(data.INDUSTRIES) + rng.choice(data.COMPANY_FORMS)
        code = ""
        while not code or code in codes:
            code = make_credit_code("91", "MA" + "".join(rng.choice(_CODE_CHARS) for _ in range(6)))
        names.add(name)
        codes.add(code)
        street = rng.choice(data.STREETS)
        road = rng.choice((street.road, *data.ROADS))
        address = f"{data.DISTRICT_NAME}{street.name}{road}{rng.randrange(1, 300)}号"
        result.append(EnterpriseSpec(name, code, person_name(rng, used)[0], address))
    return result
