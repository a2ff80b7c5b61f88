"""A published licensing item of the market regulator, applicants, hall windows and staff."""

import io
import zipfile
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.accounts.factories import credit_code, make_citizen, make_department, make_enterprise, make_staff
from tests.catalog.factories import Curation
from zhengwu.accounts.enums import Role
from zhengwu.accounts.models import User
from zhengwu.cases.domain import stored_file_save
from zhengwu.cases.models import StoredFile
from zhengwu.catalog.models import ItemMaterial, ItemVersion
from zhengwu.licences.enums import LicenceState
from zhengwu.licences.models import Licence, LicenceType
from zhengwu.org.enums import WindowKind
from zhengwu.org.models import Department, ServiceHall, Window

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf_upload(name: str = "申请书.pdf", extra: bytes = b"") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + extra, content_type="application/pdf")


def office_bytes(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<x/>")
    return buffer.getvalue()


@dataclass
class Hall:
    curation: Curation
    version: ItemVersion
    department: Department
    other_department: Department
    form: ItemMaterial  # 食品经营许可申请书 (required)
    business_licence: ItemMaterial  # 营业执照 (required, may be a licence)
    proxy_letter: ItemMaterial  # 法定代表人授权委托书 (conditional)
    citizen: User
    enterprise: User
    other_enterprise: User
    clerk: User  # general intake window serving the market regulator
    other_clerk: User  # department window of another department
    registrar: User  # 登记验证 window
    handler: User
    section_head: User
    outsider: User  # handler of another department
    agent: User
    administrator: User
    intake_window: Window
    licence_type: LicenceType

    def pdf(self, marker: str = "") -> StoredFile:
        return stored_file_save(upload=pdf_upload(extra=marker.encode()))

    def full_materials(self) -> list[dict]:
        return [
            {"material": self.form, "file": self.pdf("form")},
            {"material": self.business_licence, "file": self.pdf("licence")},
        ]

    def licence(self, holder: User, *, number: str = "YYZZ2026000001", **overrides) -> Licence:
        values = {
            "number": number,
            "licence_type": self.licence_type,
            "holder": holder,
            "holder_kind": holder.kind,
            "holder_name": holder.display_name,
            "holder_id_number": holder.enterprise.credit_code if hasattr(holder, "enterprise") else "",
            "department": self.department,
            "issued_at": timezone.now() - timedelta(days=30),
            "pdf": f"licences/{number}.pdf",
            "pdf_sha256": "0" * 64,
            "signer_fingerprint": "0" * 64,
            "token": f"token-{number}",
        }
        return Licence.objects.create(**(values | overrides))

    def revoked_licence(self, holder: User, number: str = "YYZZ2026000009") -> Licence:
        return self.licence(
            holder,
            number=number,
            state=LicenceState.REVOKED,
            revoked_at=timezone.now() - timedelta(days=1),
            revocation_reason="吊销",
        )


@pytest.fixture
def hall(db) -> Hall:
    curation = Curation()
    version = curation.published()
    department = curation.department
    other = make_department("区民政局", "MZ02")
    centre = ServiceHall.objects.create(
        name="区政务服务中心", kind="centre", region=department.region, address="青河大道 1 号"
    )
    intake = Window.objects.create(hall=centre, number="A01", name="综合受理窗口", kind=WindowKind.GENERAL_INTAKE)
    intake.departments.add(department, other)
    civil = Window.objects.create(hall=centre, number="B01", name="民政专窗", kind=WindowKind.DEPARTMENT)
    civil.departments.add(other)
    registration = Window.objects.create(hall=centre, number="R01", name="登记验证窗口", kind=WindowKind.REGISTRATION)
    materials = {m.name: m for m in version.materials.all()}
    licence_type = LicenceType.objects.create(code="YYZZ", name="营业执照", department=department, fields=[])
    return Hall(
        curation=curation,
        version=version,
        department=department,
        other_department=other,
        form=materials["食品经营许可申请书"],
        business_licence=materials["营业执照"],
        proxy_letter=materials["法定代表人授权委托书"],
        citizen=make_citizen(phone="13953600001", real_name="张晓明"),
        enterprise=make_enterprise(name="青川绿源农业科技有限公司", phone="13953600003"),
        other_enterprise=make_enterprise(
            code=credit_code("91370799MA3C4D5E6"), name="青川百货有限公司", phone="13953600004"
        ),
        clerk=make_staff(
            "chuangkou", department=other, display_name="窗口甲", roles=(Role.WINDOW_CLERK,), window=intake
        ),
        other_clerk=make_staff(
            "minzheng", department=other, display_name="窗口乙", roles=(Role.WINDOW_CLERK,), window=civil
        ),
        registrar=make_staff(
            "dengji", department=other, display_name="窗口丙", roles=(Role.WINDOW_CLERK,), window=registration
        ),
        handler=make_staff("chengban", department=department, display_name="卢帆", roles=(Role.HANDLER,)),
        section_head=make_staff("kezhang", department=department, display_name="毛春娟", roles=(Role.SECTION_HEAD,)),
        outsider=make_staff("waibu", department=other, display_name="周婷", roles=(Role.HANDLER,)),
        agent=make_staff("daiban", department=other, display_name="代办员", roles=(Role.STATION_AGENT,)),
        administrator=make_staff("guanli", department=other, display_name="管理员", roles=(Role.ADMINISTRATOR,)),
        intake_window=intake,
        licence_type=licence_type,
    )
