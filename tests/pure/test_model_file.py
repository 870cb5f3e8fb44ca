"""The model file round trip and chunked prediction."""

import io
import json

import numpy as np
import pytest
import torch

from datasets.audio.features import DEFAULT_RECIPE
from datasets.audio.stored_features import StoredFeatures
from tests.pure.test_training_data import features, labelled
from training.ml import model_file
from training.ml.data import input_statistics
from training.ml.model_file import (
    DetectorModel,
    ModelFileError,
    ModelMetadata,
    load_model,
    predict,
    save_model,
)
from training.ml.network import Detector, NetworkConfig

TYPES = ("click", "dropout", "long_pause")


def make_model(*, recipe=None, hidden_size=16, members=2):
    torch.manual_seed(0)
    config = NetworkConfig(hidden_size=hidden_size, num_types=len(TYPES), members=members)
    network = Detector(config)
    network.eval()
    metadata = ModelMetadata(
        artifact_types=TYPES,
        feature_recipe=recipe or DEFAULT_RECIPE.to_dict(),
        input_statistics=input_statistics([labelled("a", frames=300)]),
        thresholds={"click": 0.3, "dropout": 0.5, "long_pause": 0.7},
        network=config,
        min_target_ms=80,
        annotation_set_hash="sha256:abc",
    )
    return DetectorModel(network=network, metadata=metadata)


def test_a_saved_model_loads_back_with_its_metadata_and_identical_predictions():
    model = make_model()
    stored = features(1500, seed=3)

    loaded = load_model(save_model(model))

    assert loaded.metadata == model.metadata
    np.testing.assert_array_equal(predict(loaded, stored), predict(model, stored))


def test_metadata_from_before_the_shortest_events_reads_as_having_none():
    data = make_model().metadata.to_dict()
    del data["shortest_events_ms"]

    assert ModelMetadata.from_dict(data).shortest_events_ms == {}


def test_the_ensemble_predicts_the_mean_of_its_members_logits():
    model = make_model(members=3)
    inputs = torch.randn(1, model.network.config.input_size + 2, 400)

    with torch.no_grad():
        mean = model.network.member_logits(inputs).mean(dim=0)
        torch.testing.assert_close(model.network(inputs), mean)


def test_a_model_file_from_before_ensembles_loads_as_one_member():
    model = make_model(members=1)
    payload = torch.load(io.BytesIO(save_model(model)), weights_only=True)
    payload["state_dict"] = {
        name.removeprefix("members.0."): tensor for name, tensor in payload["state_dict"].items()
    }
    metadata = json.loads(payload["metadata"])
    del metadata["network"]["members"]
    payload["metadata"] = json.dumps(metadata)
    old_file = io.BytesIO()
    torch.save(payload, old_file)
    stored = features(800, seed=4)

    loaded = load_model(old_file.getvalue())

    assert loaded.metadata.network.members == 1
    np.testing.assert_array_equal(predict(loaded, stored), predict(model, stored))


def test_a_model_file_can_be_written_to_and_read_from_a_file_object(tmp_path):
    model = make_model()
    path = tmp_path / "model.pt"
    with path.open("wb") as out:
        save_model(model, out)

    with path.open("rb") as source:
        loaded = load_model(source)

    assert loaded.metadata.thresholds == {"click": 0.3, "dropout": 0.5, "long_pause": 0.7}
    assert loaded.metadata.annotation_set_hash == "sha256:abc"


def test_padding_chunks_to_a_fixed_step_leaves_the_probabilities_as_they_are(monkeypatch):
    model = make_model()
    stored = features(1234, seed=6)
    padded = predict(model, stored)

    monkeypatch.setattr(model_file, "WIDTH_STEP_FRAMES", 2)  # the least: even widths

    np.testing.assert_array_equal(predict(model, stored), padded)


def test_files_of_many_lengths_reach_the_network_in_few_shapes():
    model = make_model()
    widths = set()
    model.network.register_forward_pre_hook(lambda _, inputs: widths.add(inputs[0].shape[-1]))

    for frames in range(500, 1500, 37):
        predict(model, features(frames, seed=frames))

    assert len(widths) <= 9
    assert all(width % model_file.WIDTH_STEP_FRAMES == 0 for width in widths)


@pytest.mark.parametrize("chunk_frames", [50, 333, 1000], ids=["tiny", "odd", "bigger"])
def test_chunked_prediction_equals_the_whole_file_at_once(chunk_frames):
    model = make_model()
    stored = features(2345, seed=5)

    whole = predict(model, stored, chunk_frames=10_000)
    chunked = predict(model, stored, chunk_frames=chunk_frames)

    assert whole.shape == (2345, 3)
    np.testing.assert_allclose(chunked, whole, atol=1e-5)


def test_prediction_from_a_stored_features_reader_equals_the_loaded_array(tmp_path):
    model = make_model()
    stored = features(2345, seed=5)
    np.save(tmp_path / "features.npy", stored)

    with StoredFeatures(tmp_path / "features.npy") as reader:
        from_reader = predict(model, reader, chunk_frames=1000)

    np.testing.assert_array_equal(from_reader, predict(model, stored, chunk_frames=1000))


def test_prediction_does_not_depend_on_the_files_gain():
    model = make_model()
    quiet, loud = features(800, seed=2, gain_db=-24.0), features(800, seed=2, gain_db=3.0)

    np.testing.assert_allclose(predict(model, quiet), predict(model, loud), atol=1e-3)


def test_a_model_of_another_feature_recipe_is_refused_with_a_clear_message():
    other = {**DEFAULT_RECIPE.to_dict(), "version": "relay-features-0"}
    stored = save_model(make_model(recipe=other))

    with pytest.raises(ModelFileError, match="trained on features 'relay-features-0'"):
        load_model(stored)


def test_a_file_that_is_not_a_model_is_refused():
    with pytest.raises(ModelFileError, match="Not a readable model file"):
        load_model(b"not a model")
    buffer = io.BytesIO()
    torch.save({"weights": torch.zeros(2)}, buffer)
    with pytest.raises(ModelFileError, match="Not a Relay model file"):
        load_model(buffer.getvalue())
