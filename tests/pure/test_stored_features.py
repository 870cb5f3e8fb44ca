import numpy as np
import pytest

from datasets.audio import stored_features
from datasets.audio.stored_features import StoredFeatures


@pytest.fixture
def stored(tmp_path, monkeypatch):
    monkeypatch.setattr(stored_features, "BLOCK_ROWS", 7)  # several blocks in a small file
    values = np.arange(50 * 6, dtype=np.float16).reshape(50, 6)
    path = tmp_path / "features.npy"
    np.save(path, values)
    return values, path


def test_row_slices_read_what_numpy_loads(stored):
    values, path = stored

    with StoredFeatures(path) as features:
        assert (len(features), features.shape, features.dtype) == (50, (50, 6), np.float16)
        for rows in (slice(0, 50), slice(3, 17), slice(45, 80), slice(-5, None), slice(20, 20)):
            np.testing.assert_array_equal(features[rows], values[rows])


def test_columns_are_read_block_by_block(stored):
    values, path = stored

    with StoredFeatures(path) as features:
        np.testing.assert_array_equal(features[:, 4], values[:, 4])
        np.testing.assert_array_equal(features[5:30, 1:3], values[5:30, 1:3])
        assert features[0:0, 2].shape == (0,)


def test_a_file_that_is_not_a_feature_matrix_is_refused(tmp_path):
    np.save(tmp_path / "vector.npy", np.zeros(5, np.float32))
    np.save(tmp_path / "matrix.npy", np.zeros((4, 3), np.float32))
    truncated = (tmp_path / "matrix.npy").read_bytes()[:-4]
    (tmp_path / "truncated.npy").write_bytes(truncated)

    with pytest.raises(ValueError, match="not a stored features file"):
        StoredFeatures(tmp_path / "vector.npy")
    with (
        StoredFeatures(tmp_path / "truncated.npy") as features,
        pytest.raises(ValueError, match="shorter than its header"),
    ):
        features[0:4]
