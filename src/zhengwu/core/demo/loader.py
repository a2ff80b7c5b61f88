"""Load the demo county: idempotent (rows keyed on stable codes), deterministic (seeded), fast (bulk inserts)."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import models

from zhengwu.accounts.enums import IdType, Role, UserKind
from zhengwu.accounts.models import CitizenProfile, EnterpriseProfile, RoleAssignment, StaffProfile, User
from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.core.demo import data, people
from zhengwu.core.demo.logins import DEMO_PASSWORD
from zhengwu.org.enums import HallKind, PositionRank, RegionLevel, WindowKind
from zhengwu.org.models import Department, Position, Region, Section, ServiceHall, Window

RANK_ROLE = {
    PositionRank.HANDLER: Role.HANDLER,
    PositionRank.SECTION_HEAD: Role.SECTION_HEAD,
    PositionRank.LEADER_IN_CHARGE: Role.LEADER_IN_CHARGE,
    PositionRank.UNIT_HEAD: Role.UNIT_HEAD,
}

# Labels for the summary, in print order.
TOTAL_LABELS = {
    "org.region": "行政区划",
    "org.department": "部门",
    "org.section": "科室",
    "org.position": "岗位",
    "org.servicehall": "服务大厅/便民服务站",
    "org.window": "窗口",
    "accounts.staffprofile": "工作人员",
    "accounts.citizenprofile": "自然人",
    "accounts.enterpriseprofile": "法人",
    "catalog.serviceitem": "政务服务事项",
    "catalog.theme": "主题/场景",
    "licences.licence": "电子证照",
}


@dataclass
class DemoResult:
    created: Counter = field(default_factory=Counter)  # model label → rows created
    updated: Counter = field(default_factory=Counter)  # model label → rows brought back to the demo values
    totals: dict[str, int] = field(default_factory=dict)  # model label → rows in the database afterwards

    @property
    def changed(self) -> bool:
        return bool(+self.created or +self.updated)


class _Table:
    """Rows of one model keyed on stable fields; creates what is missing, restores what differs."""

    def __init__(self, result: DemoResult, model: type[models.Model], key: tuple[str, ...], queryset=None):
        self.result, self.model, self.key = result, model, key
        self.label = model._meta.label_lower
        rows = model.objects.all() if queryset is None else queryset
        self.rows = {self._key_of(obj): obj for obj in rows}

    def _key_of(self, obj) -> tuple:
        return tuple(getattr(obj, k) for k in self.key)

    def _sync(self, obj, values: dict[str, Any]) -> None:
        changed = [f for f, v in values.items() if getattr(obj, f) != v]
        if changed:
            for f in changed:
                setattr(obj, f, values[f])
            obj.save(update_fields=changed)
            self.result.updated[self.label] += 1

    def ensure(self, **values) -> Any:
        obj = self.rows.get(tuple(values[k] for k in self.key))
        if obj is None:
            obj = self.model.objects.create(**values)
            self.rows[self._key_of(obj)] = obj
            self.result.created[self.label] += 1
        else:
            self._sync(obj, values)
        return obj

    def ensure_all(self, values_list: list[dict[str, Any]], create_extra=None) -> list:
        """Like ensure for many rows, inserting the missing ones in bulk. `create_extra()` adds values to new rows."""
        out, missing = [], []
        for values in values_list:
            obj = self.rows.get(tuple(values[k] for k in self.key))
            if obj is None:
                obj = self.model(**values)
                missing.append(obj)
            else:
                self._sync(obj, values)
            out.append(obj)
        if missing:
            extra = create_extra() if create_extra else {}
            for obj in missing:
                for f, v in extra.items():
                    setattr(obj, f, v)
            self.model.objects.bulk_create(missing, batch_size=500)
            for obj in missing:
                self.rows[self._key_of(obj)] = obj
            self.result.created[self.label] += len(missing)
        return out


@dataclass
class _StaffSpec:
    username: str
    name: str
    employee_number: str
    department: Department
    position: Position
    roles: tuple[str, ...]
    window: Window | None = None
    is_superuser: bool = False


class _Loader:
    def __init__(self):
        self.result = DemoResult()
        self._password_hash: str | None = None
        self.used_names: set[str] = set()

    def password(self) -> dict[str, str]:
        # Hashed once per run, only when a user is actually created.
        if self._password_hash is None:
            self._password_hash = make_password(DEMO_PASSWORD)
        return {"password": self._password_hash}

    # ------------------------------------------------------------ organisation

    def regions(self) -> None:
        table = _Table(self.result, Region, ("code",))
        self.district = table.ensure(
            code=data.DISTRICT_CODE, name=data.DISTRICT_NAME, level=RegionLevel.DISTRICT, parent_id=None, sort_order=0
        )
        self.streets: dict[str, Region] = {}
        self.communities: dict[str, list[Region]] = {}
        for i, spec in enumerate(data.STREETS, start=1):
            street = table.ensure(
                code=spec.code, name=spec.name, level=RegionLevel.STREET, parent_id=self.district.pk, sort_order=i
            )
            self.streets[spec.name] = street
            self.communities[spec.name] = []
            villages = 0
            for j, name in enumerate(spec.communities, start=1):
                if name.endswith("村"):
                    villages += 1
                    suffix = 200 + villages
                else:
                    suffix = j - villages
                community = table.ensure(
                    code=f"{spec.code[:9]}{suffix:03d}",
                    name=name,
                    level=RegionLevel.COMMUNITY,
                    parent_id=street.pk,
                    sort_order=j,
                )
                self.communities[spec.name].append(community)

    def departments(self) -> None:
        departments = _Table(self.result, Department, ("code",))
        sections = _Table(self.result, Section, ("department_id", "name"))
        positions = _Table(self.result, Position, ("department_id", "title"))
        self.departments_by_code: dict[str, Department] = {}
        self.specs_by_code: dict[str, data.DepartmentSpec] = {}
        self.sections: dict[tuple[str, str], Section] = {}
        # (department code, section name or "", rank) → post; a leader is keyed by each section in its charge.
        self.posts: dict[tuple[str, str, int], Position] = {}
        self.extra_posts: dict[tuple[str, str], Position] = {}  # (department code, title) → special post
        for order, spec in enumerate(data.DEPARTMENTS, start=1):
            region = self.streets[spec.street] if spec.street else self.district
            dept = departments.ensure(
                code=spec.code,
                name=spec.name,
                short_name=spec.short_name,
                credit_code=people.department_credit_code(spec.code),
                region_id=region.pk,
                is_supervision_office=spec.is_supervision_office,
                is_active=True,
                sort_order=order,
            )
            self.departments_by_code[spec.code] = dept
            self.specs_by_code[spec.code] = spec
            head = positions.ensure(
                department_id=dept.pk,
                title=spec.head_title,
                rank=PositionRank.UNIT_HEAD,
                section_id=None,
                reports_to_id=None,
            )
            self.posts[(spec.code, "", PositionRank.UNIT_HEAD)] = head
            deputies = 1 if len(spec.sections) <= 2 else 2
            for d in range(deputies):
                charge = spec.sections[d::deputies]
                deputy = positions.ensure(
                    department_id=dept.pk,
                    title=f"{spec.deputy_title}（分管{'、'.join(charge)}）",
                    rank=PositionRank.LEADER_IN_CHARGE,
                    section_id=None,
                    reports_to_id=head.pk,
                )
                for name in charge:
                    self.posts[(spec.code, name, PositionRank.LEADER_IN_CHARGE)] = deputy
            for s_order, name in enumerate(spec.sections, start=1):
                section = sections.ensure(department_id=dept.pk, name=name, sort_order=s_order)
                self.sections[(spec.code, name)] = section
                chief = positions.ensure(
                    department_id=dept.pk,
                    title=f"{name}{_section_head_title(name)}",
                    rank=PositionRank.SECTION_HEAD,
                    section_id=section.pk,
                    reports_to_id=self.posts[(spec.code, name, PositionRank.LEADER_IN_CHARGE)].pk,
                )
                self.posts[(spec.code, name, PositionRank.SECTION_HEAD)] = chief
                self.posts[(spec.code, name, PositionRank.HANDLER)] = positions.ensure(
                    department_id=dept.pk,
                    title=f"{name}承办人",
                    rank=PositionRank.HANDLER,
                    section_id=section.pk,
                    reports_to_id=chief.pk,
                )
        self._positions = positions

    def extra_post(self, code: str, section: str, title: str) -> Position:
        """A handler-rank post for window, fee, station or system work inside `section`."""
        key = (code, title)
        if key not in self.extra_posts:
            self.extra_posts[key] = self._positions.ensure(
                department_id=self.departments_by_code[code].pk,
                title=title,
                rank=PositionRank.HANDLER,
                section_id=self.sections[(code, section)].pk,
                reports_to_id=self.posts[(code, section, PositionRank.SECTION_HEAD)].pk,
            )
        return self.extra_posts[key]

    def halls(self) -> None:
        halls = _Table(self.result, ServiceHall, ("name",))
        windows = _Table(self.result, Window, ("hall_id", "number"), Window.objects.prefetch_related("departments"))
        self.windows: dict[str, Window] = {}
        # "hall#number" → (centre window spec, street name of a station, hall kind)
        self.window_specs: dict[str, tuple[data.WindowSpec | None, str, str]] = {}

        def window(hall, number, name, kind, codes, centre_spec=None, street=""):
            before = self.result.created[windows.label]
            obj = windows.ensure(hall_id=hall.pk, number=number, name=name, kind=kind, is_active=True)
            wanted = {self.departments_by_code[c].pk for c in codes}
            if {d.pk for d in obj.departments.all()} != wanted:
                obj.departments.set(sorted(wanted))
                if self.result.created[windows.label] == before:
                    self.result.updated["org.window.departments"] += 1
            key = f"{hall.name}#{number}"
            self.windows[key] = obj
            self.window_specs[key] = (centre_spec, street, hall.kind)

        centre = halls.ensure(
            name=data.CENTRE_NAME,
            kind=HallKind.CENTRE,
            region_id=self.district.pk,
            address=f"{data.DISTRICT_NAME}青河大道88号",
            opening_hours=data.OPENING_HOURS,
            phone="12345",
        )
        for spec in data.CENTRE_WINDOWS:
            window(centre, spec.number, spec.name, spec.kind, spec.departments, centre_spec=spec)
        for i, spec in enumerate(data.STREETS, start=1):
            street = self.streets[spec.name]
            hall = halls.ensure(
                name=f"{spec.name}便民服务中心",
                kind=HallKind.STREET_STATION,
                region_id=street.pk,
                address=f"{data.DISTRICT_NAME}{spec.name}{spec.road}{10 + i}号",
                opening_hours=data.OPENING_HOURS,
                phone="",
            )
            window(
                hall, "01", "综合受理窗口", WindowKind.GENERAL_INTAKE, data.STREET_WINDOW_DEPARTMENTS, street=spec.name
            )
            community = self.communities[spec.name][0]
            station = halls.ensure(
                name=f"{community.name}便民服务站",
                kind=HallKind.COMMUNITY_STATION,
                region_id=community.pk,
                address=f"{data.DISTRICT_NAME}{spec.name}{community.name}党群服务中心",
                opening_hours=data.OPENING_HOURS,
                phone="",
            )
            window(
                station,
                "01",
                "代办窗口",
                WindowKind.GENERAL_INTAKE,
                data.COMMUNITY_WINDOW_DEPARTMENTS,
                street=spec.name,
            )

    # ------------------------------------------------------------ people

    def staff_specs(self) -> list[_StaffSpec]:
        specs: list[_StaffSpec] = []
        serial: Counter = Counter()

        def add(code, position, roles, *, window=None, username="", is_superuser=False):
            dept = self.departments_by_code[code]
            serial[code] += 1
            number = f"{dept.sort_order:02d}{serial[code]:03d}"
            rng = people.item_rng("staff", number)
            name = "系统管理员" if is_superuser else people.person_name(rng, self.used_names)[0]
            spec = _StaffSpec(username or f"zw{number}", name, number, dept, position, roles, window, is_superuser)
            specs.append(spec)
            return spec

        zwfw = "ZWFW"
        add(zwfw, self.extra_post(zwfw, "数据与信息化科", "系统管理员"), (Role.ADMINISTRATOR,), username="admin",
            is_superuser=True)  # fmt: skip
        for code, spec in self.specs_by_code.items():
            supervisor = spec.is_supervision_office
            add(code, self.posts[(code, "", PositionRank.UNIT_HEAD)], _roles(PositionRank.UNIT_HEAD, supervisor))
            leaders = []
            for name in spec.sections:
                leader = self.posts[(code, name, PositionRank.LEADER_IN_CHARGE)]
                if leader not in leaders:
                    leaders.append(leader)
            for leader in leaders:
                add(code, leader, _roles(PositionRank.LEADER_IN_CHARGE, supervisor))
            for name in spec.sections:
                supervisor = spec.is_supervision_office or name in spec.supervisor_sections
                add(
                    code,
                    self.posts[(code, name, PositionRank.SECTION_HEAD)],
                    _roles(PositionRank.SECTION_HEAD, supervisor),
                )
                for _ in range(data.HANDLER_HOLDERS):
                    add(code, self.posts[(code, name, PositionRank.HANDLER)], _roles(PositionRank.HANDLER, supervisor))
        for key, window in self.windows.items():
            centre_spec, street, hall_kind = self.window_specs[key]
            if street:
                code = next(c for c, s in self.specs_by_code.items() if s.street == street)
                title = "便民服务中心代办员" if hall_kind == HallKind.STREET_STATION else "社区便民服务站代办员"
                add(code, self.extra_post(code, "便民服务中心", title), (Role.STATION_AGENT,), window=window)
            elif centre_spec.kind == WindowKind.FEE:
                add(zwfw, self.extra_post(zwfw, "窗口管理科", "统一收费窗口收费员"), (Role.FEE_CLERK,), window=window)
            elif centre_spec.clerk_section:
                code, section = centre_spec.clerk_section
                post = self.extra_post(code, section, "驻中心窗口工作人员")
                add(code, post, (Role.WINDOW_CLERK,), window=window)
            else:
                add(zwfw, self.extra_post(zwfw, "窗口管理科", "综合窗口工作人员"), (Role.WINDOW_CLERK,), window=window)
        self._apply_featured(specs)
        return specs

    def _apply_featured(self, specs: list[_StaffSpec]) -> None:
        for featured in data.FEATURED_STAFF:
            if featured.window:
                window = self.windows[featured.window]
                match = next(s for s in specs if s.window is not None and s.window.pk == window.pk)
            else:
                post = self.posts[(featured.department, featured.section, featured.rank)]
                match = next(s for s in specs if s.position.pk == post.pk)
            match.username = featured.username

    def staff(self) -> None:
        specs = self.staff_specs()
        names = [s.username for s in specs]
        users = _Table(self.result, User, ("username",), User.objects.filter(username__in=names))
        user_rows = users.ensure_all(
            [
                {
                    "username": s.username,
                    "kind": UserKind.STAFF,
                    "display_name": s.name,
                    "first_name": "",
                    "last_name": "",
                    "is_active": True,
                    "is_staff": s.is_superuser,
                    "is_superuser": s.is_superuser,
                }
                for s in specs
            ],
            create_extra=self.password,
        )
        user_ids = [u.pk for u in user_rows]
        profiles = _Table(self.result, StaffProfile, ("user_id",), StaffProfile.objects.filter(user_id__in=user_ids))
        profiles.ensure_all(
            [
                {
                    "user_id": u.pk,
                    "department_id": s.department.pk,
                    "section_id": s.position.section_id,
                    "position_id": s.position.pk,
                    "window_id": s.window.pk if s.window else None,
                    "employee_number": s.employee_number,
                }
                for s, u in zip(specs, user_rows, strict=True)
            ]
        )
        roles = _Table(
            self.result, RoleAssignment, ("user_id", "role"), RoleAssignment.objects.filter(user_id__in=user_ids)
        )
        roles.ensure_all(
            [{"user_id": u.pk, "role": role} for s, u in zip(specs, user_rows, strict=True) for role in s.roles]
        )

    def citizens(self) -> None:
        specs = people.citizens(used_names=self.used_names)
        users = _Table(self.result, User, ("username",), User.objects.filter(username__in=[s.phone for s in specs]))
        rows = users.ensure_all(
            [
                {
                    "username": s.phone,
                    "kind": UserKind.CITIZEN,
                    "display_name": s.name,
                    "phone": s.phone,
                    "is_active": True,
                }
                for s in specs
            ],
            create_extra=self.password,
        )
        profiles = _Table(
            self.result, CitizenProfile, ("user_id",), CitizenProfile.objects.filter(user_id__in=[u.pk for u in rows])
        )
        profiles.ensure_all(
            [
                {"user_id": u.pk, "real_name": s.name, "id_type": IdType.RESIDENT_ID, "id_number": s.id_number}
                for s, u in zip(specs, rows, strict=True)
            ]
        )

    def enterprises(self) -> None:
        specs = people.enterprises(used_names=self.used_names)
        codes = [s.credit_code for s in specs]
        users = _Table(self.result, User, ("username",), User.objects.filter(username__in=codes))
        rows = users.ensure_all(
            [
                {"username": s.credit_code, "kind": UserKind.ENTERPRISE, "display_name": s.name, "is_active": True}
                for s in specs
            ],
            create_extra=self.password,
        )
        profiles = _Table(
            self.result,
            EnterpriseProfile,
            ("user_id",),
            EnterpriseProfile.objects.filter(user_id__in=[u.pk for u in rows]),
        )
        profiles.ensure_all(
            [
                {
                    "user_id": u.pk,
                    "name": s.name,
                    "credit_code": s.credit_code,
                    "legal_representative": s.legal_representative,
                    "address": s.address,
                }
                for s, u in zip(specs, rows, strict=True)
            ]
        )

    def totals(self) -> dict[str, int]:
        return {label: apps.get_model(label).objects.count() for label in TOTAL_LABELS}


def _section_head_title(section: str) -> str:
    if section.endswith("大队"):
        return "大队长"
    if section.endswith("科"):
        return "科长"
    return "主任"  # 室、办公室、中心、处


def _roles(rank: int, supervisor: bool) -> tuple[str, ...]:
    role = RANK_ROLE[PositionRank(rank)]
    return (role, Role.SUPERVISOR) if supervisor else (role,)


def demo_load() -> DemoResult:
    """Create or restore the demo county. A second run changes nothing and writes no audit event."""
    loader = _Loader()
    with audited_atomic():
        loader.regions()
        loader.departments()
        loader.halls()
        loader.staff()
        loader.citizens()
        loader.enterprises()
        from zhengwu.catalog.demo import catalog_demo_load  # the catalogue needs the departments above

        catalog_demo_load(loader.result)
        from zhengwu.licences.demo import licences_demo_load  # signs PDFs for demo people: after them

        licences_demo_load(loader.result)
        from zhengwu.cases.certificates_demo import certificates_demo_map  # items → the licence types above

        certificates_demo_map(loader.result)
        result = loader.result
        result.totals = loader.totals()
        if result.changed:
            audit_record(
                actor="system:demo",
                action="demo.loaded",
                object_type="core.demo",
                object_id=data.DISTRICT_CODE,
                object_repr=f"{data.DISTRICT_NAME}演示数据",
                after={
                    "created": dict(sorted(result.created.items())),
                    "updated": dict(sorted(result.updated.items())),
                    "totals": result.totals,
                },
            )
    return result
