"""Read-only admin views of messages and deliveries, for administrators checking the gateways."""

from django.contrib import admin

from zhengwu.notifications.models import Delivery, Message


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    fields = ("channel", "address", "state", "attempts", "last_error", "provider_reference", "sent_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("subject", "recipient", "category_label", "created_at", "read_at")
    list_filter = ("category",)
    list_select_related = ("recipient",)
    search_fields = ("subject", "recipient__username", "recipient__display_name")
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("message", "channel", "address", "state", "attempts", "last_error", "sent_at")
    list_filter = ("state", "channel")
    list_select_related = ("message",)
    search_fields = ("address", "provider_reference")
    date_hierarchy = "created_at"
