from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"

    def ready(self) -> None:
        from annotations import demo, services
        from datasets.signals import audio_deleting, audio_finished

        audio_deleting.connect(
            services.remove_labels_of_deleted_audio, dispatch_uid="annotations.audio_deleting"
        )
        audio_finished.connect(
            demo.publish_labels_when_processed, dispatch_uid="annotations.demo_labels"
        )
