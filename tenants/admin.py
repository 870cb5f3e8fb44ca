from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from tenants import services
from tenants.models import ApiKey, Membership, Tenant, Webhook, WebhookDelivery


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["role", "tenant"]
    search_fields = ["user__username", "user__email", "tenant__name"]
    autocomplete_fields = ["user", "tenant"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made through the API or `create_tenant`, where the secret can be shown once;
    here operators see and revoke them. The hash is never displayed."""

    list_display = [
        "name",
        "tenant",
        "prefix",
        "scopes",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["tenant"]
    search_fields = ["name", "prefix", "tenant__name"]
    fields = [
        "tenant",
        "name",
        "prefix",
        "scopes",
        "created_by",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    readonly_fields = fields
    actions = ["revoke_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return False  # revoked, never deleted: the row records who had access and when

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("tenants.change_apikey")

    @admin.action(description="Revoke selected API keys", permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            services.revoke_api_key(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


DELIVERY_FIELDS = [
    "webhook",
    "event_type",
    "event_id",
    "attempt",
    "status",
    "scheduled_at",
    "attempted_at",
    "response_status",
    "duration_ms",
    "error",
    "response_body",
    "will_retry",
    "payload",
]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """Tenants manage their webhooks through the API and the settings page; operators see them,
    switch them off, and read the delivery log. The secret is never displayed."""

    list_display = ["url", "tenant", "events", "is_active", "created_at"]
    list_filter = ["is_active", "tenant"]
    search_fields = ["url", "description", "tenant__name"]
    fields = [
        "tenant",
        "url",
        "events",
        "description",
        "is_active",
        "delivery_log",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [
        "tenant",
        "url",
        "events",
        "description",
        "delivery_log",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="Deliveries")
    def delivery_log(self, webhook: Webhook) -> str:
        url = reverse("admin:tenants_webhookdelivery_changelist")
        count = webhook.deliveries.count()
        return format_html(
            '<a href="{}?webhook__id__exact={}">{} deliveries</a>', url, webhook.pk, count
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made through the API, where the secret can be shown once


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event_type",
        "webhook",
        "attempt",
        "status",
        "response_status",
        "attempted_at",
        "will_retry",
    ]
    list_filter = ["status", "event_type", "webhook"]
    search_fields = ["event_id", "webhook__url", "webhook__tenant__name"]
    list_select_related = ["webhook"]
    fields = DELIVERY_FIELDS
    readonly_fields = DELIVERY_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: WebhookDelivery | None = None
    ) -> bool:
        return False
