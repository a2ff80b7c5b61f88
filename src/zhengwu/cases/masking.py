"""Masking personal data for public pages (办件公示).

Natural persons' names keep their surname only (张*, 欧阳** for a compound surname); legal persons' names are
public registration data (国家企业信用信息公示系统) and shown in full. Identity numbers are never shown on
public pages at all, so there is no masking helper for them here (see accounts.domain.identity for staff views).
"""

from __future__ import annotations

from zhengwu.cases.enums import ApplicantKind

MASK = "*"
# Separators kept visible: the middle dots of transliterated minority and foreign names, and spaces.
SEPARATORS = frozenset("·・•‧･. -")
COMPOUND_SURNAMES = frozenset(
    {
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "司空",
        "夏侯",
        "轩辕",
        "令狐",
        "钟离",
        "闻人",
        "澹台",
        "濮阳",
        "淳于",
        "单于",
        "太叔",
        "申屠",
        "赫连",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "呼延",
        "百里",
        "东郭",
        "万俟",
        "第五",
        "拓跋",
        "公冶",
        "子车",
        "左丘",
        "谷梁",
        "乐正",
    }
)


def mask_person_name(name: str) -> str:
    """张三 → 张*; 欧阳娜娜 → 欧阳**; 王 → *; 阿卜杜拉·买买提 → 阿***·***; John Smith → J*** *****."""
    name = " ".join((name or "").split())
    if not name:
        return ""
    letters = [ch for ch in name if ch not in SEPARATORS]
    if len(letters) <= 1:
        return "".join(MASK if ch not in SEPARATORS else ch for ch in name)
    compound = len(name) >= 3 and name[:2] in COMPOUND_SURNAMES and not any(ch in SEPARATORS for ch in name)
    keep = 2 if compound else 1
    shown = 0
    out = []
    for ch in name:
        if ch in SEPARATORS:
            out.append(ch)
        elif shown < keep:
            out.append(ch)
            shown += 1
        else:
            out.append(MASK)
    return "".join(out)


def public_applicant_name(kind: str, name: str) -> str:
    """The applicant's name as a public page may show it."""
    if kind == ApplicantKind.LEGAL:
        return " ".join((name or "").split())
    return mask_person_name(name)
