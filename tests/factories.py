"""Test data made through the services, so it is data the product itself could create."""

from collections.abc import Sequence
from pathlib import Path

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


def make_ready_audio(*, dataset: Dataset, folder: Path, seconds: float = 2.0, name: str = "a.wav"):
    """A processed audio file, made the way uploads are: stored, confirmed, processed."""
    from datasets import processing
    from relay.storage import get_object_store
    from tests.audio import write_wav

    path = write_wav(folder / name, seconds=seconds)
    audio, _ = dataset_services.request_audio_upload(
        dataset=dataset, filename=name, content_type="audio/wav", file_size=path.stat().st_size
    )
    get_object_store().save_file(audio.original_key, path)
    dataset_services.confirm_audio_upload(audio=audio)
    claimed = processing.claim_audio_for_processing(audio_id=str(audio.pk))
    processing.process_claimed_audio(audio=claimed)
    claimed.refresh_from_db()
    return claimed
