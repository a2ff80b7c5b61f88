"""Performance assessment (绩效考核, ADR 0021): per department and period, computed only from case rows,
their clocks, correction notices, supervision alerts and ratings.
Nothing is typed in. Each metric is scored 0–100; the total is the weighted mean over the metrics that
have data; the grade comes from the scheme's thresholds; departments are ranked by total.

Scores:
* on_time — 按期办结率: handling clocks stopped on time / stopped in the period, × 100.
* time_ratio — 用时比: Σ working days used / Σ promised days (limit + extensions) over those clocks;
  score 100 × (1.5 − ratio), clamped to 0–100 (half the time or less → 100; 1.5× the time → 0).
* alerts — 每百件告警 by rung: alerts opened in the period (dismissed ones excluded) per 100 cases received;
  score 100 − Σ penalty(rung) × per-100(rung), clamped at 0 (报备 filings carry no penalty).
* one_time_correction — 一次性告知率: cases received in the period with exactly one correction notice /
  those with any, × 100.
* bad_ratings — 差评率及整改: ratings (level ≤ 2 is 差评) of cases received in the period; score
  70 × (1 − bad share) + 30 × rectified share of the bad ones (1 when there are none); 无数据 without
  ratings.
* online_share — 网上申报占比: cases received online / received, × 100.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.audit.domain import audit_record, audited_atomic
from zhengwu.cases.enums import Channel
from zhengwu.cases.models import Case, CorrectionNotice
from zhengwu.org.models import Department
from zhengwu.ratings.enums import NEGATIVE_LEVELS, FollowUpState
from zhengwu.ratings.models import Rating, RatingFollowUp
from zhengwu.supervision import rules
from zhengwu.supervision.enums import AlertLevel, AlertStatus, Grade, Metric, PeriodKind
from zhengwu.supervision.models import Alert, AssessmentResult, AssessmentScheme
from zhengwu.supervision.models.assessment import DEFAULT_RUNG_PENALTIES, DEFAULT_THRESHOLDS, DEFAULT_WEIGHTS
from zhengwu.workcal.arith import current_index
from zhengwu.workcal.clock_enums import ClockOutcome, ClockStatus
from zhengwu.workcal.enums import DeadlineUnit
from zhengwu.workcal.models.clock import local_date, start_of_day

logger = logging.getLogger(__name__)

RUNGS = (AlertLevel.WARNING, AlertLevel.YELLOW, AlertLevel.RED)
TWO = Decimal("0.01")


# ---- periods ---------------------------------------------------------------------------------


def period_bounds(kind: str, day: date) -> tuple[date, date]:
    """The period of `kind` containing `day`: (first day, first day after)."""
    if kind == PeriodKind.MONTH:
        start = day.replace(day=1)
    elif kind == PeriodKind.QUARTER:
        start = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    elif kind == PeriodKind.YEAR:
        start = day.replace(month=1, day=1)
    else:
        raise ValidationError({"period_kind": _("请选择考核周期：月度、季度或年度。")})
    months = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[PeriodKind(kind)]
    month = start.month - 1 + months
    end = date(start.year + month // 12, month % 12 + 1, 1)
    return start, end


def period_label(kind: str, start: date) -> str:
    if kind == PeriodKind.MONTH:
        return f"{start.year}年{start.month}月"
    if kind == PeriodKind.QUARTER:
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    return f"{start.year}年度"


# ---- scheme ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemeValues:
    weights: dict[str, float]
    thresholds: dict[str, float]
    rung_penalties: dict[int, float]


def scheme_values(scheme: AssessmentScheme | None) -> SchemeValues:
    weights = {str(k): float(v) for k, v in DEFAULT_WEIGHTS.items()}
    thresholds = {str(k): float(v) for k, v in DEFAULT_THRESHOLDS.items()}
    penalties = {int(k): float(v) for k, v in DEFAULT_RUNG_PENALTIES.items()}
    if scheme is not None:
        weights |= {str(k): float(v) for k, v in (scheme.weights or {}).items() if k in Metric.values}
        thresholds |= {str(k): float(v) for k, v in (scheme.thresholds or {}).items()}
        penalties |= {int(k): float(v) for k, v in (scheme.rung_penalties or {}).items()}
    return SchemeValues(weights, thresholds, penalties)


def active_scheme() -> AssessmentScheme:
    scheme = AssessmentScheme.objects.filter(active=True).order_by("-updated_at", "-id").first()
    if scheme is None:
        scheme = AssessmentScheme.objects.create(name=_("默认考核方案"))
    return scheme


def grade_for(score: Decimal | None, thresholds: dict[str, float]) -> str:
    if score is None:
        return Grade.NO_DATA
    for grade in (Grade.EXCELLENT, Grade.GOOD, Grade.PASS):
        if score >= Decimal(str(thresholds[grade])):
            return grade
    return Grade.FAIL


def _d(value: float) -> Decimal:
    return Decimal(str(value)).quantize(TWO, rounding=ROUND_HALF_UP)


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


# ---- the measures --------------------------------------------------------------------------


def _ratings(department_ids: list[int], lo, hi) -> dict[int, dict[str, int]]:
    """{department: {total, bad, rectified}} of the ratings of cases received in [lo, hi)."""
    rectified = Exists(
        RatingFollowUp.objects.filter(rating=OuterRef("pk"), state__in=(FollowUpState.RECTIFIED, FollowUpState.CLOSED))
    )
    bad = Q(level__in=[int(level) for level in NEGATIVE_LEVELS])
    rows = (
        Rating.objects.filter(
            case__department_id__in=department_ids, case__received_at__gte=lo, case__received_at__lt=hi
        )
        .annotate(fixed=rectified)
        .values("case__department_id")
        .annotate(total=Count("pk"), bad=Count("pk", filter=bad), rectified=Count("pk", filter=bad & Q(fixed=True)))
    )
    return {
        row["case__department_id"]: {"total": row["total"], "bad": row["bad"], "rectified": row["rectified"]}
        for row in rows
    }


def _used_days(row: dict[str, Any], index) -> int:
    end = local_date(row["handling_clock__stopped_at"])
    start = row["handling_clock__start_date"]
    if row["handling_clock__unit"] == DeadlineUnit.WORKING:
        used = index.working_days_between(start, end)
    else:
        used = max(0, (end - start).days)
    return max(0, used - row["handling_clock__paused_days"])


def assessment_measure(
    *, department_ids: list[int], period_start: date, period_end: date, scheme: AssessmentScheme | None = None
) -> dict[int, dict[str, Any]]:
    """The metrics of each department for [period_start, period_end): {department: {metric: {...}}}, each
    metric {"value", "score", "weight", "detail"} with value/score None when there is no data."""
    values = scheme_values(scheme)
    lo, hi = start_of_day(period_start), start_of_day(period_end)
    ids = list(department_ids)
    out: dict[int, dict[str, Any]] = {pk: {} for pk in ids}

    def put(pk: int, metric: str, value: float | None, score: float | None, detail: dict) -> None:
        out[pk][metric] = {
            "value": None if value is None else round(value, 4),
            "score": None if score is None else float(_d(_clamp(score))),
            "weight": values.weights.get(metric, 0.0),
            "detail": detail,
        }

    # Handling clocks stopped in the period.
    stopped = Case.objects.filter(
        department_id__in=ids,
        handling_clock__status=ClockStatus.STOPPED,
        handling_clock__stopped_at__gte=lo,
        handling_clock__stopped_at__lt=hi,
    ).values(
        "department_id",
        "handling_clock__outcome",
        "handling_clock__start_date",
        "handling_clock__stopped_at",
        "handling_clock__paused_days",
        "handling_clock__limit_days",
        "handling_clock__extension_days",
        "handling_clock__unit",
    )
    index = current_index()
    clocks: dict[int, dict[str, int]] = {pk: {"stopped": 0, "on_time": 0, "used": 0, "promised": 0} for pk in ids}
    for row in stopped:
        acc = clocks[row["department_id"]]
        acc["stopped"] += 1
        acc["on_time"] += row["handling_clock__outcome"] == ClockOutcome.ON_TIME
        acc["used"] += _used_days(row, index)
        acc["promised"] += row["handling_clock__limit_days"] + row["handling_clock__extension_days"]

    # Cases received in the period.
    received = {
        row["department_id"]: row
        for row in Case.objects.filter(department_id__in=ids, received_at__gte=lo, received_at__lt=hi)
        .values("department_id")
        .annotate(total=Count("pk"), online=Count("pk", filter=Q(channel=Channel.ONLINE)))
    }
    alerts: dict[int, dict[int, int]] = {pk: {} for pk in ids}
    for row in (
        Alert.objects.filter(department_id__in=ids, opened_at__gte=lo, opened_at__lt=hi)
        .exclude(status=AlertStatus.DISMISSED)
        .values("department_id", "level")
        .annotate(n=Count("pk"))
    ):
        alerts[row["department_id"]][row["level"]] = row["n"]
    notices: dict[int, dict[str, int]] = {pk: {"any": 0, "one": 0} for pk in ids}
    for row in (
        CorrectionNotice.objects.filter(
            case__department_id__in=ids, case__received_at__gte=lo, case__received_at__lt=hi
        )
        .values("case_id", "case__department_id")
        .annotate(n=Count("pk"))
    ):
        acc = notices[row["case__department_id"]]
        acc["any"] += 1
        acc["one"] += row["n"] == 1
    ratings = _ratings(ids, lo, hi)

    for pk in ids:
        c = clocks[pk]
        rate = c["on_time"] / c["stopped"] if c["stopped"] else None
        put(pk, Metric.ON_TIME, rate, None if rate is None else 100 * rate, {k: c[k] for k in ("stopped", "on_time")})
        ratio = c["used"] / c["promised"] if c["promised"] else None
        put(
            pk,
            Metric.TIME_RATIO,
            ratio,
            None if ratio is None else 100 * (1.5 - ratio),
            {"used_days": c["used"], "promised_days": c["promised"]},
        )
        total = received.get(pk, {}).get("total", 0)
        per100 = {int(level): alerts[pk].get(level, 0) * 100 / total for level in RUNGS} if total else {}
        penalty = sum(values.rung_penalties.get(level, 0) * n for level, n in per100.items())
        put(
            pk,
            Metric.ALERTS,
            sum(per100.values()) if total else None,
            100 - penalty if total else None,
            {
                "cases": total,
                "counts": {str(int(level)): alerts[pk].get(level, 0) for level in RUNGS},
                "per100": {str(level): round(v, 2) for level, v in per100.items()},
            },
        )
        n = notices[pk]
        share = n["one"] / n["any"] if n["any"] else None
        put(pk, Metric.ONE_TIME_CORRECTION, share, None if share is None else 100 * share, dict(n))
        r = ratings.get(pk, {"total": 0, "bad": 0, "rectified": 0})
        bad_rate = r["bad"] / r["total"] if r["total"] else None
        fixed = r["rectified"] / r["bad"] if r["bad"] else 1.0
        put(pk, Metric.BAD_RATINGS, bad_rate, None if bad_rate is None else 70 * (1 - bad_rate) + 30 * fixed, r)
        online = received.get(pk, {}).get("online", 0)
        share = online / total if total else None
        put(pk, Metric.ONLINE_SHARE, share, None if share is None else 100 * share, {"online": online, "cases": total})
    return out


def total_score(metrics: dict[str, Any]) -> Decimal | None:
    """The weighted mean of the scored metrics; metrics without data drop out with their weight."""
    weighted = [(m["weight"], m["score"]) for m in metrics.values() if m["score"] is not None and m["weight"] > 0]
    weight = sum(w for w, _s in weighted)
    if not weight:
        return None
    return _d(sum(w * s for w, s in weighted) / weight)


def rank(scores: dict[int, Decimal | None]) -> dict[int, int | None]:
    """Competition ranking (1, 1, 3) by total, highest first; departments without a score are unranked."""
    ordered = sorted((s for s in scores.values() if s is not None), reverse=True)
    return {pk: (ordered.index(s) + 1 if s is not None else None) for pk, s in scores.items()}


def assessment_compute(
    *, actor: Any, period_kind: str, day: date, scheme: AssessmentScheme | None = None
) -> list[AssessmentResult]:
    """Compute (or recompute) every department's result for the period containing `day` and store the
    snapshot rows; one audit event. Supervisors only."""
    start, end = period_bounds(period_kind, day)
    if start > timezone.localdate():
        raise ValidationError({"day": _("考核期间尚未开始。")})
    with audited_atomic():
        if not rules.can_compute_assessment(actor):
            raise ValidationError(_("您无权进行绩效考核。"))
        scheme = scheme or active_scheme()
        values = scheme_values(scheme)
        departments = list(Department.objects.order_by("code").values_list("pk", flat=True))
        measured = assessment_measure(department_ids=departments, period_start=start, period_end=end, scheme=scheme)
        scores = {pk: total_score(measured[pk]) for pk in departments}
        ranks = rank(scores)
        now = timezone.now()
        results = []
        for pk in departments:
            result, _created = AssessmentResult.objects.update_or_create(
                department_id=pk,
                period_kind=period_kind,
                period_start=start,
                defaults={
                    "scheme": scheme,
                    "period_end": end,
                    "metrics": measured[pk],
                    "score": scores[pk],
                    "grade": grade_for(scores[pk], values.thresholds),
                    "rank": ranks[pk],
                    "computed_at": now,
                },
            )
            results.append(result)
        audit_record(
            actor=actor,
            action="supervision.assessment_computed",
            object_type="supervision.assessmentresult",
            object_id=f"{period_kind}:{start.isoformat()}",
            object_repr=period_label(period_kind, start),
            after={
                "scheme_id": scheme.pk,
                "period": [start, end],
                "scores": {str(pk): (str(s) if s is not None else None) for pk, s in scores.items()},
            },
        )
    return sorted(results, key=lambda r: (r.rank is None, r.rank or 0, r.department_id))


# ---- exports ---------------------------------------------------------------------------------

METRIC_ORDER = list(Metric)


def _metric_cell(result: AssessmentResult, metric: str) -> str:
    data = result.metrics.get(metric) or {}
    return "无数据" if data.get("score") is None else f"{data['score']:.2f}"


def export_rows(results: list[AssessmentResult]) -> tuple[list[str], list[list[Any]]]:
    header = [_("排名"), _("部门"), *[str(m.label) for m in METRIC_ORDER], _("总分"), _("等次")]
    rows = [
        [
            r.rank if r.rank is not None else "—",
            r.department.name,
            *[_metric_cell(r, m) for m in METRIC_ORDER],
            f"{r.score:.2f}" if r.score is not None else "无数据",
            r.get_grade_display(),
        ]
        for r in results
    ]
    return header, rows


def assessment_xlsx(results: list[AssessmentResult], *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "绩效考核"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    header, rows = export_rows(results)
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.column_dimensions["B"].width = 24
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def assessment_pdf(results: list[AssessmentResult], *, title: str) -> bytes:
    from zhengwu.licences.domain.render import html_to_pdf

    header, rows = export_rows(results)
    html = render_to_string(
        "oversight/pdf/assessment.html",
        {"title": title, "header": header, "rows": rows, "printed_at": timezone.localtime()},
    )
    return html_to_pdf(html)
