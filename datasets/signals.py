"""Signals for the apps above datasets, which datasets must not import."""

from django.dispatch import Signal

# Sent by services.delete_audio inside its transaction, with the row locked and found deletable
# (no published annotation set labels it), just before the row goes. Argument: `audio`.
audio_deleting = Signal()

# Sent by the worker once a file's processing has ended, ready or failed (after the change is
# committed). Argument: `audio_id`.
audio_finished = Signal()
