"""Registry of statutory periods (see shared/reference/statutes.md) that catalogue items and case types choose from.

A preset is a default, not a law engine: periods marked `configurable=True` rest on local practice or
secondary sources and may be overridden per deployment with

    WORKCAL_PRESET_OVERRIDES = {"hotline_handling": {"days": 3, "max_extension_days": 3}}

in settings. `get_preset()` applies the overrides; `PRESETS` holds the unmodified defaults.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.conf import settings

from zhengwu.workcal.enums import DeadlineUnit

__all__ = ["PRESETS", "ClockPreset", "get_preset", "preset_choices", "preset_name", "presets"]

WORKING = DeadlineUnit.WORKING
CALENDAR = DeadlineUnit.CALENDAR


@dataclass(frozen=True)
class ClockPreset:
    code: str
    name: str
    unit: DeadlineUnit
    days: int
    legal_basis: str
    max_extension_days: int = 0
    extension_approver: str = ""
    description: str = ""
    configurable: bool = False  # [unsure] in statutes.md: a deployment default, not settled law

    @property
    def unit_label(self) -> str:
        return "个工作日" if self.unit == WORKING else "日（自然日）"

    def summary(self) -> str:
        text = f"{self.name}：{self.days} {self.unit_label}"
        if self.max_extension_days:
            text += f"，经{self.extension_approver}批准可延长 {self.max_extension_days} {self.unit_label}"
        return f"{text}（{self.legal_basis}）"


_DEFAULTS: tuple[ClockPreset, ...] = (
    # 行政许可法 — all periods are working days (Art. 82)
    ClockPreset(
        "licence_acceptance",
        "行政许可申请受理（一次性告知补正）",
        WORKING,
        5,
        "《行政许可法》第三十二条、第八十二条",
        description="材料不齐全的，当场或者五日内一次告知需要补正的全部内容；逾期不告知的，自收到材料之日起即为受理。",
    ),
    ClockPreset(
        "licence_decision",
        "行政许可决定",
        WORKING,
        20,
        "《行政许可法》第四十二条第一款、第八十二条",
        max_extension_days=10,
        extension_approver="本行政机关负责人",
        description="自受理之日起二十日内作出决定；二十日内不能作出决定的，经本行政机关负责人批准可延长十日，并告知申请人理由。",
    ),
    ClockPreset(
        "licence_joint_decision",
        "行政许可统一办理、联合办理、集中办理",
        WORKING,
        45,
        "《行政许可法》第二十六条、第四十二条第二款",
        max_extension_days=15,
        extension_approver="本级人民政府负责人",
        description="办理的时间不得超过四十五日；四十五日内不能办结的，经本级人民政府负责人批准可延长十五日。",
    ),
    ClockPreset(
        "licence_preliminary_review",
        "下级行政机关初步审查",
        WORKING,
        20,
        "《行政许可法》第四十三条",
        description="依法应当先经下级行政机关审查后报上级行政机关决定的，下级机关自受理之日起二十日内审查完毕。",
    ),
    ClockPreset(
        "licence_delivery",
        "颁发、送达行政许可证件",
        WORKING,
        10,
        "《行政许可法》第四十四条",
        description="作出准予行政许可决定之日起十日内向申请人颁发、送达行政许可证件。",
    ),
    ClockPreset(
        "licence_hearing_request",
        "行政许可听证申请",
        WORKING,
        5,
        "《行政许可法》第四十七条",
        description="申请人、利害关系人在被告知听证权利之日起五日内提出听证申请。",
    ),
    ClockPreset(
        "licence_hearing",
        "组织行政许可听证",
        WORKING,
        20,
        "《行政许可法》第四十七条、第四十八条",
        description="行政机关应当在二十日内组织听证，并于举行听证的七日前通知申请人、利害关系人。",
    ),
    ClockPreset(
        "licence_renewal_decision",
        "行政许可延续决定",
        WORKING,
        20,
        "《行政许可法》第五十条",
        description=(
            "应当在有效期届满前作出是否准予延续的决定，逾期未作决定的视为准予延续。法定终点为有效期届满日；"
            "本预设按一般许可决定期限取二十个工作日，为可配置的默认值，开始计时时应以不晚于有效期届满日为准。"
        ),
        configurable=True,
    ),
    # 政府信息公开条例 — periods stated in working days
    ClockPreset(
        "disclosure_proactive",
        "主动公开政府信息",
        WORKING,
        20,
        "《政府信息公开条例》第二十六条",
        description="属于主动公开范围的政府信息，自该信息形成或者变更之日起二十个工作日内予以公开。",
    ),
    ClockPreset(
        "disclosure_correction_notice",
        "政府信息公开申请补正告知",
        WORKING,
        7,
        "《政府信息公开条例》第三十条",
        description="申请内容不明确的，自收到申请之日起七个工作日内一次性告知申请人作出补正；答复期限自收到补正的申请之日起计算。",
    ),
    ClockPreset(
        "disclosure_third_party",
        "征求第三方意见",
        WORKING,
        15,
        "《政府信息公开条例》第三十二条",
        description="第三方自收到征求意见书之日起十五个工作日内提出意见；逾期未提出的，由行政机关依法决定。",
    ),
    ClockPreset(
        "disclosure_joint_agency",
        "征求共同制作机关意见",
        WORKING,
        15,
        "《政府信息公开条例》第三十四条",
        description="被征求意见机关自收到征求意见书之日起十五个工作日内提出意见，逾期未提出的视为同意公开。",
    ),
    ClockPreset(
        "disclosure_reply",
        "政府信息公开申请答复",
        WORKING,
        20,
        "《政府信息公开条例》第三十三条",
        max_extension_days=20,
        extension_approver="政府信息公开工作机构负责人",
        description=(
            "不能当场答复的，自收到申请之日起二十个工作日内答复；需要延长的，经政府信息公开工作机构负责人同意并告知申请人，"
            "延长期限最长不得超过二十个工作日。征求第三方和其他机关意见所需时间不计算在期限内。"
        ),
    ),
    ClockPreset(
        "disclosure_fee_payment",
        "信息处理费缴纳",
        WORKING,
        20,
        "《政府信息公开条例》第四十二条；国办函〔2020〕109号",
        description="申请人缴纳信息处理费的期限；通知缴费至缴费的时间不计入答复期限。二十个工作日为可配置的默认值。",
        configurable=True,
    ),
    # 行政处罚法 — only its 2/3/5/7-day periods are working days (Art. 85)
    ClockPreset(
        "penalty_decision",
        "行政处罚决定",
        CALENDAR,
        90,
        "《行政处罚法》第六十条",
        description="自行政处罚案件立案之日起九十日内作出行政处罚决定；法律、法规、规章另有规定的从其规定。",
    ),
    ClockPreset(
        "penalty_service",
        "送达行政处罚决定书",
        WORKING,
        7,
        "《行政处罚法》第六十一条、第八十五条",
        description="当事人不在场的，在七日内依照《民事诉讼法》的有关规定送达；七日指工作日（第八十五条）。",
    ),
    ClockPreset(
        "penalty_hearing_request",
        "行政处罚听证申请",
        WORKING,
        5,
        "《行政处罚法》第六十四条、第八十五条",
        description="当事人要求听证的，应当在行政机关告知后五日内提出；五日指工作日（第八十五条）。",
    ),
    ClockPreset(
        "penalty_publication_withdrawal",
        "撤回已公开的行政处罚决定",
        WORKING,
        3,
        "《行政处罚法》第四十八条、第八十五条",
        description="公开的行政处罚决定被依法变更、撤销、确认违法或者确认无效的，应当在三日内撤回原决定信息。",
    ),
    ClockPreset(
        "penalty_fine_payment",
        "缴纳罚款",
        CALENDAR,
        15,
        "《行政处罚法》第六十七条",
        description="当事人应当自收到行政处罚决定书之日起十五日内，到指定的银行或者通过电子支付系统缴纳罚款。",
    ),
    # 信访工作条例 — "日" means calendar days
    ClockPreset(
        "petition_registration",
        "信访事项登记转送",
        CALENDAR,
        15,
        "《信访工作条例》第二十二条",
        description="收到信访事项后应当予以登记，并在十五日内分别按规定处理（转送、交办或告知）。",
    ),
    ClockPreset(
        "petition_acceptance_notice",
        "信访事项受理告知",
        CALENDAR,
        15,
        "《信访工作条例》第二十三条",
        description="有权处理的机关应当自收到转送、交办的信访事项之日起十五日内决定是否受理并书面告知信访人。",
    ),
    ClockPreset(
        "petition_jurisdiction_objection",
        "信访管辖异议",
        WORKING,
        5,
        "《信访工作条例》第二十三条",
        description="对信访事项管辖有异议的，应当在五个工作日内提出。",
    ),
    ClockPreset(
        "petition_handling",
        "信访事项办理",
        CALENDAR,
        60,
        "《信访工作条例》第三十四条",
        max_extension_days=30,
        extension_approver="本机关负责人",
        description="申诉求决类事项自受理之日起六十日内办结；情况复杂的，经本机关负责人批准可适当延长，延长期限不超过三十日，并告知信访人理由。",
    ),
    ClockPreset(
        "petition_review",
        "信访事项复查",
        CALENDAR,
        30,
        "《信访工作条例》第三十五条",
        description="收到复查请求之日起三十日内提出复查意见。",
    ),
    ClockPreset(
        "petition_recheck",
        "信访事项复核",
        CALENDAR,
        30,
        "《信访工作条例》第三十六条",
        description="收到复核请求之日起三十日内提出复核意见。",
    ),
    # 12345 hotline and 好差评 — local practice
    ClockPreset(
        "hotline_handling",
        "12345热线工单办理",
        WORKING,
        5,
        "国办发〔2020〕53号；地方热线工单办理规定",
        max_extension_days=5,
        extension_approver="承办单位负责人",
        description="工单一般在五个工作日内办结，经批准可延长五个工作日。地方规定各异，为可配置的默认值。",
        configurable=True,
    ),
    ClockPreset(
        "rating_bad_contact",
        "差评联系回访",
        WORKING,
        1,
        "国办发〔2019〕51号；地方好差评工作规定",
        description="实名差评在一个工作日内联系评价人核实情况。地方规定各异，为可配置的默认值。",
        configurable=True,
    ),
    ClockPreset(
        "rating_bad_rectification",
        "差评整改",
        WORKING,
        15,
        "国办发〔2019〕51号；地方好差评工作规定",
        description="差评事项在五至十五个工作日内整改反馈，本预设取十五个工作日。地方规定各异，为可配置的默认值。",
        configurable=True,
    ),
)

PRESETS: dict[str, ClockPreset] = {preset.code: preset for preset in _DEFAULTS}
assert len(PRESETS) == len(_DEFAULTS), "duplicate preset code"

_OVERRIDABLE = frozenset({"name", "days", "max_extension_days", "extension_approver", "description"})


def get_preset(code: str) -> ClockPreset:
    """The preset with deployment overrides applied; KeyError for an unknown code."""
    preset = PRESETS[code]
    overrides = (getattr(settings, "WORKCAL_PRESET_OVERRIDES", None) or {}).get(code)
    if overrides:
        unknown = set(overrides) - _OVERRIDABLE
        if unknown:
            raise ValueError(f"WORKCAL_PRESET_OVERRIDES[{code!r}] has unknown keys: {sorted(unknown)}")
        preset = dataclasses.replace(preset, **overrides)
    return preset


def preset_name(code: str) -> str:
    """The name a preset code is shown by (its choice label: the code itself when unknown)."""
    try:
        return get_preset(code).name
    except KeyError:
        return code


def presets() -> list[ClockPreset]:
    """All presets in registry order, overrides applied."""
    return [get_preset(code) for code in PRESETS]


def preset_choices() -> list[tuple[str, str]]:
    """Choices for model and form fields (pass the function itself: Django accepts callables)."""
    return [(preset.code, preset.name) for preset in presets()]
