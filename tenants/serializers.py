from django.utils import timezone
from rest_framework import serializers

from relay.api.fields import ChoiceField, TextField
from tenants.models import ApiKey, Scope
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
