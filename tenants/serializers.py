from django.core.validators import RegexValidator
from django.utils import timezone
from rest_framework import serializers

from relay.api.fields import ChoiceField, TextField
from tenants import webhook_urls
from tenants.models import ApiKey, EventType, Scope, Webhook, WebhookDelivery
from tenants.services import DEFAULT_SCOPES


class ApiKeyCreateSerializer(serializers.Serializer):
    name = TextField(min_length=1, max_length=200)
    scopes = serializers.ListField(
        child=ChoiceField(choices=Scope.choices),
        min_length=1,
        max_length=len(Scope.choices),
        default=lambda: [str(scope) for scope in DEFAULT_SCOPES],
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_expires_at(self, value: object) -> object:
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("Expiry must be in the future.", code="past")
        return value


class ApiKeySerializer(serializers.ModelSerializer):
    scopes = serializers.ListField(child=ChoiceField(choices=Scope.choices))

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
        ]


class CreatedApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(help_text="The secret. Shown only in this response; store it now.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class WebhookEventsField(serializers.ListField):
    child = serializers.ChoiceField(choices=EventType.choices)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(min_length=1, max_length=len(EventType.choices), **kwargs)


WEBHOOK_URL_MESSAGE = (
    "Enter an http:// or https:// URL with a host name or IP address, an optional port and "
    "path, and no spaces, user name or password."
)


def webhook_url_field(**kwargs: object) -> serializers.CharField:
    return serializers.CharField(
        max_length=2000,
        validators=[RegexValidator(webhook_urls.URL_PATTERN, message=WEBHOOK_URL_MESSAGE)],
        help_text="http(s) URL that receives the events: a host name or IP address, an optional "
        "port and path, no user name or password.",
        **kwargs,
    )


class WebhookCreateSerializer(serializers.Serializer):
    url = webhook_url_field()
    events = WebhookEventsField()
    description = TextField(max_length=500, required=False, default="", allow_blank=True)


class WebhookUpdateSerializer(serializers.Serializer):
    url = webhook_url_field(required=False)
    events = WebhookEventsField(required=False)
    description = TextField(max_length=500, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "description", "is_active", "created_at", "updated_at"]


class CreatedWebhookSerializer(WebhookSerializer):
    secret = serializers.CharField(
        source="signing_secret",
        help_text="Signs every delivery (Relay-Signature). Shown only in this response.",
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    # Declared rather than derived: a model integer field's bounds depend on the database, and the
    # schema must not (docs/openapi.yaml is the same on SQLite and PostgreSQL).
    attempt = serializers.IntegerField(read_only=True, min_value=1)
    response_status = serializers.IntegerField(read_only=True, allow_null=True, min_value=0)
    duration_ms = serializers.IntegerField(read_only=True, allow_null=True, min_value=0)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "attempt",
            "status",
            "scheduled_at",
            "attempted_at",
            "response_status",
            "response_body",
            "error",
            "duration_ms",
            "will_retry",
            "created_at",
        ]
