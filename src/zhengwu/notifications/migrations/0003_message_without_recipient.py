"""A message may have no recipient: it went by SMS to a bare phone number (an applicant registered at the window
without an account, `notify_phone`) and is in no inbox (ADR 0010).

On PostgreSQL the column's NOT NULL is dropped by hand: Django's AlterField would drop and re-add (so re-validate)
the foreign key's constraint over the whole table for a change of nullability alone (see `IndexChanges`)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from zhengwu.core.schema import IndexChanges


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_fewer_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        IndexChanges(
            operations=[
                migrations.AlterField(
                    model_name="message",
                    name="recipient",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="为空表示发给未注册账户的手机号码（仅短信）。",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notification_messages",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="接收人",
                    ),
                ),
            ],
            sql={"postgresql": ['ALTER TABLE "notifications_message" ALTER COLUMN "recipient_id" DROP NOT NULL']},
            reverse_sql={"postgresql": ['ALTER TABLE "notifications_message" ALTER COLUMN "recipient_id" SET NOT NULL']},
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.CheckConstraint(
                condition=models.Q(("recipient__isnull", False), ("in_inbox", False), _connector="OR"),
                name="notif_message_inbox_recipient",
            ),
        ),
    ]
