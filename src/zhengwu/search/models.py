from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchDocument(models.Model):
    """One searchable record of another app, with its pre-segmented tokens.

    The full-text index lives beside this table: an FTS5 table kept in step by triggers on SQLite,
    a GIN expression index on PostgreSQL (migration 0002). See docs/adr/0009-chinese-search.md.
    """

    kind = models.CharField(_("类别"), max_length=40)
    object_id = models.PositiveBigIntegerField(_("对象标识"))
    target_id = models.PositiveBigIntegerField(_("展示记录标识"), help_text=_("命中时展示的记录，例如事项的现行版本。"))
    title = models.CharField(_("标题"), max_length=500)
    body = models.TextField(_("正文"), blank=True)
    title_tokens = models.TextField(_("标题分词"), blank=True)
    body_tokens = models.TextField(_("正文分词"), blank=True)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("内容更新时间"), null=True, blank=True)
    indexed_at = models.DateTimeField(_("索引时间"))

    class Meta:
        verbose_name = _("检索文档")
        verbose_name_plural = _("检索文档")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_document_unique_object"),
        ]
        indexes = [models.Index(fields=["kind", "department"], name="search_document_kind_dept_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} {self.title}"
