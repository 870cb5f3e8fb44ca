"""Decoding every accepted format into float32 blocks, and refusing what is not audio."""

import shutil
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from datasets.audio.decode import AudioDecodeError, iter_blocks, probe
from tests.audio import write_wav, write_with_pyav, write_with_soundfile

SOUNDFILE_CASES = [
    ("a.flac", "FLAC", "PCM_16", 44_100, "flac"),
    ("a.ogg", "OGG", "VORBIS", 44_100, "ogg"),
    ("a.opus", "OGG", "OPUS", 48_000, "ogg"),
    ("a.mp3", "MP3", "MPEG_LAYER_III", 44_100, "mp3"),
]
PYAV_CASES = [
    ("a.m4a", "mp4", "aac", "m4a"),
    ("a.aac", "adts", "aac", "aac"),
    ("a.webm", "webm", "libopus", "webm"),
]


def decode(path: Path, **kwargs) -> np.ndarray:
    """Every block joined: (frames, channels)."""
    return np.concatenate(list(iter_blocks(path, **kwargs)))


@pytest.mark.parametrize(
    ("name", "container", "subtype", "sample_rate", "expected_format"),
    SOUNDFILE_CASES,
    ids=["flac", "ogg-vorbis", "ogg-opus", "mp3"],
)
def test_soundfile_formats_decode_to_the_tone(
    tmp_path, name, container, subtype, sample_rate, expected_format
):
    path = write_with_soundfile(
        tmp_path / name, seconds=1.0, sample_rate=sample_rate, channels=2, format=container,
        subtype=subtype,
    )  # fmt: skip

    info = probe(path)
    samples = decode(path)

    assert (info.format, info.sample_rate, info.channels) == (expected_format, sample_rate, 2)
    assert samples.dtype == np.float32
    assert samples.shape[1] == 2
    assert abs(len(samples) - sample_rate) <= sample_rate // 20  # codec padding
    assert 0.25 < np.abs(samples).max() <= 1.0


@pytest.mark.parametrize(
    ("name", "container", "codec", "expected_format"),
    PYAV_CASES,
    ids=["m4a-aac", "adts-aac", "webm-opus"],
)
def test_pyav_formats_decode_to_the_tone(tmp_path, name, container, codec, expected_format):
    path = write_with_pyav(
        tmp_path / name, seconds=1.0, channels=2, container=container, codec=codec
    )

    info = probe(path)
    samples = decode(path)

    assert (info.format, info.sample_rate, info.channels) == (expected_format, 48_000, 2)
    assert samples.dtype == np.float32
    assert samples.shape[1] == 2
    assert abs(len(samples) - 48_000) <= 2_400  # encoder priming and padding
    assert 0.25 < np.abs(samples).max() <= 1.0


@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_every_wav_sample_format_decodes_to_the_same_values(tmp_path, subtype):
    path = write_wav(tmp_path / "in.wav", seconds=0.5, sample_rate=22_050, subtype=subtype)
    exact = sf.read(path, dtype="float64", always_2d=True)[0]

    samples = decode(path, block_frames=1000)

    assert samples.dtype == np.float32
    np.testing.assert_allclose(samples, exact, atol=1e-7)


def test_float_samples_beyond_full_scale_are_clipped(tmp_path):
    path = tmp_path / "loud.wav"
    sf.write(path, np.array([[0.5], [1.7], [-3.0], [np.nan]]), 16_000, subtype="FLOAT")

    samples = decode(path)

    np.testing.assert_array_equal(samples[:, 0], [0.5, 1.0, -1.0, 0.0])


def test_blocks_have_the_asked_size_and_are_new_arrays(tmp_path):
    path = write_wav(tmp_path / "in.wav", seconds=1.0, sample_rate=16_000, channels=2)

    blocks = list(iter_blocks(path, block_frames=6_000))

    assert [block.shape for block in blocks] == [(6_000, 2), (6_000, 2), (4_000, 2)]
    assert not np.shares_memory(blocks[0], blocks[1])


def test_a_reused_buffer_yields_the_same_samples(tmp_path):
    path = write_wav(tmp_path / "in.wav", seconds=1.0, sample_rate=16_000, channels=2)

    reused = [block.copy() for block in iter_blocks(path, block_frames=6_000, reuse_buffer=True)]

    np.testing.assert_array_equal(np.concatenate(reused), decode(path))


def test_probe_reports_what_the_header_says(tmp_path):
    path = write_wav(tmp_path / "in.wav", seconds=1.0, sample_rate=48_000, channels=2)

    info = probe(path)

    assert (info.sample_rate, info.channels, info.frames, info.format) == (48_000, 2, 48_000, "wav")


def test_content_decides_the_format_not_the_file_name(tmp_path):
    m4a = write_with_pyav(tmp_path / "a.m4a", seconds=0.5, container="mp4", codec="aac")
    flac = write_with_soundfile(tmp_path / "a.flac", seconds=0.5, format="FLAC", subtype="PCM_16")

    assert probe(shutil.copy(m4a, tmp_path / "m4a.wav")).format == "m4a"
    assert probe(shutil.copy(flac, tmp_path / "flac.wav")).format == "flac"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"The file is empty \(0 bytes\)\."),
        (b"These are my notes, not audio.\n" * 40, "could not be decoded as audio"),
        (
            b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + bytes(range(200)),
            "could not be decoded",
        ),
        (bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)), "could not be"),
    ],
    ids=["zero-bytes", "text-named-wav", "corrupt-wav-header", "random-bytes"],
)
def test_what_is_not_audio_raises_a_readable_error(tmp_path, content, message):
    path = tmp_path / "upload.wav"
    path.write_bytes(content)

    with pytest.raises(AudioDecodeError, match=message):
        probe(path)


def test_a_container_without_an_audio_stream_is_refused(tmp_path):
    path = tmp_path / "video.webm"
    with av.open(str(path), "w", format="webm") as output:
        stream = output.add_stream("libvpx", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            output.mux(packet)

    with pytest.raises(AudioDecodeError, match="no audio stream"):
        probe(path)
