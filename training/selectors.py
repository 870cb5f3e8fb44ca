from uuid import UUID

from django.db.models import QuerySet

from relay.errors import NotFound
from tenants.models import Tenant
from training.models import TrainedModel, TrainingJob, ValidationMistake


def training_jobs_for(tenant: Tenant) -> QuerySet[TrainingJob]:
    # The reverse one-to-one gives each job's model_id in the same query.
    return TrainingJob.objects.filter(tenant=tenant).select_related("model")


def list_training_jobs(
    *, tenant: Tenant, dataset_id: UUID | None = None, status: str = ""
) -> QuerySet[TrainingJob]:
    jobs = training_jobs_for(tenant)
    if dataset_id:
        jobs = jobs.filter(dataset_id=dataset_id)
    if status:
        jobs = jobs.filter(status=status)
    return jobs.order_by("-created_at", "-id")


def get_training_job(*, tenant: Tenant, job_id: UUID) -> TrainingJob:
    try:
        return training_jobs_for(tenant).get(pk=job_id)
    except TrainingJob.DoesNotExist:
        raise NotFound("Training job not found") from None


def models_for(tenant: Tenant) -> QuerySet[TrainedModel]:
    return TrainedModel.objects.filter(tenant=tenant)


def list_models(*, tenant: Tenant, dataset_id: UUID | None = None) -> QuerySet[TrainedModel]:
    models = models_for(tenant)
    if dataset_id:
        models = models.filter(dataset_id=dataset_id)
    return models.order_by("-created_at", "-id")


def get_model(*, tenant: Tenant, model_id: UUID) -> TrainedModel:
    try:
        return models_for(tenant).get(pk=model_id)
    except TrainedModel.DoesNotExist:
        raise NotFound("Model not found") from None


def list_validation_mistakes(
    *, job: TrainingJob, artifact_type: str = "", kind: str = ""
) -> QuerySet[ValidationMistake]:
    """The job's validation errors by type and kind, the most confident first: a confident
    false positive is often a missing label, a confident false negative a near miss."""
    mistakes = ValidationMistake.objects.filter(job=job).select_related("audio_file")
    if artifact_type:
        mistakes = mistakes.filter(artifact_type=artifact_type)
    if kind:
        mistakes = mistakes.filter(kind=kind)
    return mistakes.order_by("artifact_type", "kind", "-confidence", "id")
