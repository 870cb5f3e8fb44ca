import functools
from uuid import UUID

from django.db.models import TextField
from django.db.models.functions import Cast
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from annotations import agreement, selectors, services
from annotations.models import Annotation, AnnotationSet
from annotations.serializers import (
    MAX_BULK_ANNOTATIONS,
    AgreementQuerySerializer,
    AgreementSerializer,
    AnnotationBulkInputSerializer,
    AnnotationBulkResultSerializer,
    AnnotationCreateInputSerializer,
    AnnotationQuerySerializer,
    AnnotationSerializer,
    AnnotationSetCreateSerializer,
    AnnotationSetQuerySerializer,
    AnnotationSetSerializer,
    AnnotationSetUpdateSerializer,
    AnnotationUpdateInputSerializer,
)
from datasets import selectors as dataset_selectors
from relay.api.fields import datetime_from_sql_text, utc_datetime_text
from relay.api.pagination import PageQuerySerializer, paginate, paginated_serializer
from relay.api.parsing import json_object_body, parse_body, parse_query
from relay.api.schema import error_responses
from relay.api.views import TenantApiView
from relay.errors import Invalid

TAGS = ["annotations"]
# A bulk body: up to 10 000 rows of about 250 bytes of JSON each, with room to spare.
BULK_BODY_LIMIT_BYTES = MAX_BULK_ANNOTATIONS * 600 + 64 * 1024


def annotation_payload(
    added: services.AddedAnnotation, *, created_at: str | None = None
) -> dict[str, object]:
    """What AnnotationSerializer gives for a stored annotation, built directly: DRF would spend
    most of a 10 000-row bulk call's budget on serializing the response."""
    return {
        "id": added.id,
        "audio_file_id": added.audio_file_id,
        "artifact_type": added.artifact_type,
        "start_ms": added.start_ms,
        "end_ms": added.end_ms,
        "confidence": added.confidence,
        "note": added.note,
        "source": added.source,
        "created_at": created_at or utc_datetime_text(added.created_at),
    }


def annotation_payloads(added: list[services.AddedAnnotation]) -> list[dict[str, object]]:
    """`annotation_payload` of each annotation one `add_annotations` call added: they share one
    creation time, written as text once."""
    created_at = utc_datetime_text(added[0].created_at) if added else None
    return [annotation_payload(item, created_at=created_at) for item in added]


PAGE_FIELDS = (
    "id",
    "audio_file_id",
    "artifact_type__name",
    "start_ms",
    "end_ms",
    "confidence",
    "note",
    "source",
    # As the database's text: Django's time-zone-aware loader for PostgreSQL parses each value
    # in Python, a quarter of a 500-row page's time; `datetime.fromisoformat` is C.
    Cast("created_at", output_field=TextField()),
)


def _page_payloads(rows: list[tuple]) -> list[dict[str, object]]:
    """A page of `PAGE_FIELDS` tuples as AnnotationSerializer shows them: plain values instead of
    model instances, which cost most of a page's time."""
    return [
        {
            "id": str(id_),
            "audio_file_id": str(audio_file_id),
            "artifact_type": artifact_type,
            "start_ms": start_ms,
            "end_ms": end_ms,
            "confidence": confidence,
            "note": note,
            "source": source,
            "created_at": utc_datetime_text(datetime_from_sql_text(created_at)),
        }
        for (
            id_,
            audio_file_id,
            artifact_type,
            start_ms,
            end_ms,
            confidence,
            note,
            source,
            created_at,
        ) in rows
    ]


# Base of the views under one dataset's annotation sets (a comment, not a docstring: the schema
# would show a docstring as every subclass's description).
class AnnotationSetScopedApi(TenantApiView):
    def _set(self, request: Request, dataset_id: UUID, set_id: UUID) -> AnnotationSet:
        return selectors.get_annotation_set_of_tenant(
            tenant=request.tenant, dataset_id=dataset_id, set_id=set_id
        )

    def _creator(self, request: Request) -> dict[str, object]:
        return {"created_by_user": request.user.user, "created_by_key": request.user.api_key}


class AnnotationSetListApi(TenantApiView):
    required_scopes = {"GET": "read", "POST": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="list_annotation_sets",
        parameters=[AnnotationSetQuerySerializer, PageQuerySerializer],
        responses=paginated_serializer(AnnotationSetSerializer),
    )
    def get(self, request: Request, dataset_id: UUID) -> Response:
        dataset = dataset_selectors.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
        query = parse_query(AnnotationSetQuerySerializer, request)
        sets = selectors.list_annotation_sets(dataset=dataset, **query)
        return paginate(request, sets, AnnotationSetSerializer)

    @extend_schema(
        tags=TAGS,
        operation_id="create_annotation_set",
        request=AnnotationSetCreateSerializer,
        responses={201: AnnotationSetSerializer},
    )
    def post(self, request: Request, dataset_id: UUID) -> Response:
        dataset = dataset_selectors.get_dataset(tenant=request.tenant, dataset_id=dataset_id)
        body = parse_body(AnnotationSetCreateSerializer, request)
        annotation_set = services.create_annotation_set(dataset=dataset, **body)
        return Response(AnnotationSetSerializer(annotation_set).data, status=201)


class AnnotationSetDetailApi(AnnotationSetScopedApi):
    required_scopes = {"GET": "read", "PATCH": "write", "DELETE": "write"}

    @extend_schema(tags=TAGS, operation_id="get_annotation_set", responses=AnnotationSetSerializer)
    def get(self, request: Request, dataset_id: UUID, set_id: UUID) -> Response:
        return Response(AnnotationSetSerializer(self._set(request, dataset_id, set_id)).data)

    @extend_schema(
        tags=TAGS,
        operation_id="update_annotation_set",
        request=AnnotationSetUpdateSerializer,
        responses={200: AnnotationSetSerializer, **error_responses(409)},
    )
    def patch(self, request: Request, dataset_id: UUID, set_id: UUID) -> Response:
        annotation_set = self._set(request, dataset_id, set_id)
        body = parse_body(AnnotationSetUpdateSerializer, request)
        annotation_set = services.update_annotation_set(annotation_set=annotation_set, **body)
        return Response(AnnotationSetSerializer(annotation_set).data)

    @extend_schema(
        tags=TAGS,
        operation_id="delete_annotation_set",
        responses={204: None, **error_responses(409)},
    )
    def delete(self, request: Request, dataset_id: UUID, set_id: UUID) -> Response:
        services.delete_annotation_set(annotation_set=self._set(request, dataset_id, set_id))
        return Response(status=204)


class AnnotationSetPublishApi(AnnotationSetScopedApi):
    required_scopes = {"POST": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="publish_annotation_set",
        request=None,
        responses={200: AnnotationSetSerializer, **error_responses(409)},
    )
    def post(self, request: Request, dataset_id: UUID, set_id: UUID) -> Response:
        annotation_set = self._set(request, dataset_id, set_id)
        published = services.publish_annotation_set(annotation_set=annotation_set)
        return Response(AnnotationSetSerializer(published).data)


class AnnotationSetCopyApi(AnnotationSetScopedApi):
    required_scopes = {"POST": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="copy_annotation_set",
        request=None,
        responses={201: AnnotationSetSerializer},
    )
    def post(self, request: Request, dataset_id: UUID, set_id: UUID) -> Response:
        copy = services.copy_annotation_set(annotation_set=self._set(request, dataset_id, set_id))
        return Response(AnnotationSetSerializer(copy).data, status=201)


class AnnotationSetAgreementApi(AnnotationSetScopedApi):
    required_scopes = {"GET": "read"}

    @extend_schema(
        tags=TAGS,
        operation_id="annotation_set_agreement",
        parameters=[AgreementQuerySerializer],
        responses=AgreementSerializer,
    )
    def get(self, request: Request, dataset_id: UUID, set_id: UUID) -> Response:
        annotation_set = self._set(request, dataset_id, set_id)
        query = parse_query(AgreementQuerySerializer, request)
        result = agreement.measure_agreement(
            annotation_set=annotation_set, other_id=query["other"], collar_ms=query["collar_ms"]
        )
        return Response(AgreementSerializer(result).data)


class AnnotationListApi(AnnotationSetScopedApi):
    required_scopes = {"GET": "read", "POST": "write"}

    @extend_schema(
        tags=TAGS,
        operation_id="list_annotations",
        parameters=[AnnotationQuerySerializer, PageQuerySerializer],
        responses=paginated_serializer(AnnotationSerializer),
    )
    def get(self, request: Request, dataset_id: UUID, set_id: UUID) -> Response:
        annotation_set = self._set(request, dataset_id, set_id)
        query = parse_query(AnnotationQuerySerializer, request)
        annotations = selectors.list_annotations(annotation_set=annotation_set, **query)
        unfiltered = not query
        return paginate(
            request,
            annotations,
            AnnotationSerializer,
            total=annotation_set.annotation_count if unfiltered else None,
            load=lambda page: page.values_list(*PAGE_FIELDS),
            render=_page_payloads,
            fetch=(
                functools.partial(selectors.anchored_annotation_page, annotation_set)
                if unfiltered
                else None
            ),
        )

    @extend_schema(
        tags=TAGS,
        operation_id="create_annotation",
        request=AnnotationCreateInputSerializer,
        responses={201: AnnotationSerializer, **error_responses(409)},
    )
    def post(self, request: Request, dataset_id: UUID, set_id: UUID) -> Response:
        annotation_set = self._set(request, dataset_id, set_id)
        rows = [json_object_body(request)]
        source = rows[0].get("source", Annotation.Source.HUMAN)
        if source not in Annotation.Source.values:
            raise Invalid.at(
                ["body", "source"],
                f"source must be one of {', '.join(Annotation.Source.values)}",
                "value_error.invalid_choice",
            )
        [added] = services.add_annotations(
            annotation_set=annotation_set,
            rows=rows,
            loc=["body"],
            indexed=False,
            source=source,
            **self._creator(request),
        )
        return Response(annotation_payload(added), status=201)


class AnnotationBulkApi(AnnotationSetScopedApi):
    required_scopes = {"POST": "write"}

    def body_limit_bytes(self) -> int:
        return BULK_BODY_LIMIT_BYTES

    @extend_schema(
        tags=TAGS,
        operation_id="create_annotations_in_bulk",
        request=AnnotationBulkInputSerializer,
        responses={201: AnnotationBulkResultSerializer, **error_responses(409)},
    )
    def post(self, request: Request, dataset_id: UUID, set_id: UUID) -> Response:
        annotation_set = self._set(request, dataset_id, set_id)
        rows = json_object_body(request).get("annotations")
        if not isinstance(rows, list):
            raise Invalid.at(["body", "annotations"], "Expected a list", "type_error.list")
        if len(rows) > MAX_BULK_ANNOTATIONS:
            raise Invalid.at(
                ["body", "annotations"],
                f"At most {MAX_BULK_ANNOTATIONS} annotations per call",
                "value_error.max_items",
            )
        created = services.add_annotations(
            annotation_set=annotation_set,
            rows=rows,
            loc=["body", "annotations"],
            **self._creator(request),
        )
        items = annotation_payloads(created)
        return Response({"created": len(items), "items": items}, status=201)


class AnnotationDetailApi(AnnotationSetScopedApi):
    required_scopes = {"GET": "read", "PATCH": "write", "DELETE": "write"}

    def _annotation(self, request: Request, dataset_id: UUID, set_id: UUID, annotation_id: UUID):
        annotation_set = self._set(request, dataset_id, set_id)
        return selectors.get_annotation(annotation_set=annotation_set, annotation_id=annotation_id)

    @extend_schema(tags=TAGS, operation_id="get_annotation", responses=AnnotationSerializer)
    def get(
        self, request: Request, dataset_id: UUID, set_id: UUID, annotation_id: UUID
    ) -> Response:
        annotation = self._annotation(request, dataset_id, set_id, annotation_id)
        return Response(AnnotationSerializer(annotation).data)

    @extend_schema(
        tags=TAGS,
        operation_id="update_annotation",
        request=AnnotationUpdateInputSerializer,
        responses={200: AnnotationSerializer, **error_responses(409)},
    )
    def patch(
        self, request: Request, dataset_id: UUID, set_id: UUID, annotation_id: UUID
    ) -> Response:
        annotation = self._annotation(request, dataset_id, set_id, annotation_id)
        changes = json_object_body(request)
        annotation = services.update_annotation(annotation=annotation, changes=changes)
        return Response(AnnotationSerializer(annotation).data)

    @extend_schema(
        tags=TAGS, operation_id="delete_annotation", responses={204: None, **error_responses(409)}
    )
    def delete(
        self, request: Request, dataset_id: UUID, set_id: UUID, annotation_id: UUID
    ) -> Response:
        services.delete_annotation(
            annotation=self._annotation(request, dataset_id, set_id, annotation_id)
        )
        return Response(status=204)
