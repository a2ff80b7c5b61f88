import dataclasses

import pytest

from zhengwu.workcal.models import Clock
from zhengwu.workcal.presets import PRESETS, get_preset, preset_choices, preset_name, presets


@pytest.mark.parametrize(
    ("code", "unit", "days", "max_extension", "basis"),
    [
        ("licence_acceptance", "working", 5, 0, "《行政许可法》第三十二条、第八十二条"),
        ("licence_decision", "working", 20, 10, "《行政许可法》第四十二条第一款、第八十二条"),
        ("licence_joint_decision", "working", 45, 15, "《行政许可法》第二十六条、第四十二条第二款"),
        ("licence_delivery", "working", 10, 0, "《行政许可法》第四十四条"),
        ("disclosure_proactive", "working", 20, 0, "《政府信息公开条例》第二十六条"),
        ("disclosure_correction_notice", "working", 7, 0, "《政府信息公开条例》第三十条"),
        ("disclosure_third_party", "working", 15, 0, "《政府信息公开条例》第三十二条"),
        ("disclosure_reply", "working", 20, 20, "《政府信息公开条例》第三十三条"),
        ("penalty_decision", "calendar", 90, 0, "《行政处罚法》第六十条"),
        ("penalty_service", "working", 7, 0, "《行政处罚法》第六十一条、第八十五条"),
        ("penalty_fine_payment", "calendar", 15, 0, "《行政处罚法》第六十七条"),
        ("petition_registration", "calendar", 15, 0, "《信访工作条例》第二十二条"),
        ("petition_acceptance_notice", "calendar", 15, 0, "《信访工作条例》第二十三条"),
        ("petition_handling", "calendar", 60, 30, "《信访工作条例》第三十四条"),
        ("hotline_handling", "working", 5, 5, "国办发〔2020〕53号；地方热线工单办理规定"),
        ("rating_bad_contact", "working", 1, 0, "国办发〔2019〕51号；地方好差评工作规定"),
        ("rating_bad_rectification", "working", 15, 0, "国办发〔2019〕51号；地方好差评工作规定"),
    ],
)
def test_statutory_periods(code, unit, days, max_extension, basis):
    preset = get_preset(code)
    assert (preset.unit, preset.days, preset.max_extension_days, preset.legal_basis) == (
        unit,
        days,
        max_extension,
        basis,
    )


def test_every_preset_is_complete_and_consistent():
    assert len(PRESETS) == 28
    for preset in presets():
        assert preset.code and preset.name and preset.legal_basis and preset.description
        assert preset.unit in ("working", "calendar")
        assert preset.days >= 1
        assert bool(preset.extension_approver) == bool(preset.max_extension_days), preset.code


def test_unsure_periods_are_marked_configurable():
    configurable = {p.code for p in presets() if p.configurable}
    assert configurable == {
        "licence_renewal_decision",
        "disclosure_fee_payment",
        "hotline_handling",
        "rating_bad_contact",
        "rating_bad_rectification",
    }
    for code in configurable:
        assert "可配置的默认值" in get_preset(code).description


def test_presets_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_preset("licence_decision").days = 30


def test_choices_for_model_fields():
    choices = preset_choices()
    assert choices[:2] == [
        ("licence_acceptance", "行政许可申请受理（一次性告知补正）"),
        ("licence_decision", "行政许可决定"),
    ]
    assert [code for code, _ in choices] == list(PRESETS)
    assert Clock._meta.get_field("preset").choices == choices


def test_summary_reads_like_the_statute():
    assert get_preset("licence_decision").summary() == (
        "行政许可决定：20 个工作日，经本行政机关负责人批准可延长 10 个工作日"
        "（《行政许可法》第四十二条第一款、第八十二条）"
    )
    assert get_preset("penalty_fine_payment").summary() == "缴纳罚款：15 日（自然日）（《行政处罚法》第六十七条）"


def test_deployment_overrides_configurable_defaults(settings):
    settings.WORKCAL_PRESET_OVERRIDES = {"hotline_handling": {"days": 3, "max_extension_days": 2}}
    preset = get_preset("hotline_handling")
    assert (preset.days, preset.max_extension_days, preset.unit) == (3, 2, "working")
    assert PRESETS["hotline_handling"].days == 5


def test_overrides_cannot_change_the_unit_or_the_legal_basis(settings):
    settings.WORKCAL_PRESET_OVERRIDES = {"licence_decision": {"unit": "calendar"}}
    with pytest.raises(ValueError, match="unknown keys: \\['unit'\\]"):
        get_preset("licence_decision")


def test_unknown_code():
    with pytest.raises(KeyError):
        get_preset("nope")


def test_a_clock_names_its_preset_as_the_field_choice_does(settings):
    settings.WORKCAL_PRESET_OVERRIDES = {"hotline_handling": {"name": "热线诉求办理（本地）"}}
    for code in (*PRESETS, "retired_code"):
        clock = Clock(subject_repr="许可申请", preset=code, limit_days=5, unit="working")
        assert str(clock) == f"许可申请 · {clock.get_preset_display()}"
    assert preset_name("hotline_handling") == "热线诉求办理（本地）"
    assert preset_name("retired_code") == "retired_code"
