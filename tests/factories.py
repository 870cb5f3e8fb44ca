"""Test data made through the services, so it is data the product itself could create."""

from collections.abc import Sequence

from datasets import services as dataset_services
from datasets.models import Dataset
from tenants import services as tenant_services
from tenants.models import Tenant


def make_tenant(*, name: str = "Acme Voice", email: str = "admin@acme.test"):
    return tenant_services.create_tenant(name=name, email=email, password="correct-horse-42")


def make_api_key(
    *, tenant: Tenant, scopes: Sequence[str] = ("read", "write"), name: str = "test key", **kwargs
) -> tenant_services.CreatedApiKey:
    return tenant_services.create_api_key(tenant=tenant, name=name, scopes=scopes, **kwargs)


def make_dataset(
    *, tenant: Tenant, name: str = "TTS glitches", artifact_types: Sequence[str] = ("click",)
) -> Dataset:
    return dataset_services.create_dataset(
        tenant=tenant,
        name=name,
        artifact_types=[{"name": type_name} for type_name in artifact_types],
    )
