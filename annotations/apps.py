from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"

    def ready(self) -> None:
        from annotations import services
        from datasets.signals import audio_deleting

        audio_deleting.connect(
            services.remove_labels_of_deleted_audio, dispatch_uid="annotations.audio_deleting"
        )
