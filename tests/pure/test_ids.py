import time
import uuid

from relay.ids import RAND_B_MASK, uuid7, uuid7_batch, uuid7_batch_after


def test_a_batch_is_distinct_increasing_version_7_uuids():
    ids = uuid7_batch(1000)

    assert ids == sorted(ids)
    assert len(set(ids)) == 1000
    assert {value.version for value in ids} == {7}
    assert {value.variant for value in ids} == {"specified in RFC 4122"}


def test_the_first_48_bits_are_the_unix_time_in_milliseconds():
    before = int(time.time() * 1000)
    value = uuid7()
    after = int(time.time() * 1000)

    assert before <= value.int >> 80 <= after


def test_later_batches_sort_after_earlier_ones():
    earlier = uuid7_batch(3, now_ms=1_700_000_000_000)
    later = uuid7_batch(3, now_ms=1_700_000_000_001)

    assert max(earlier) < min(later)


def test_a_batch_after_the_newest_id_continues_its_counter():
    newest = uuid7_batch(1, now_ms=1_700_000_000_000)[0]

    following = uuid7_batch_after(newest, 3)

    assert following == sorted(following)
    assert following[0] > newest
    assert all(item.version == 7 and item.variant == uuid.RFC_4122 for item in following)
    assert {item.int >> 80 for item in following} == {newest.int >> 80}  # the same millisecond


def test_a_batch_after_the_newest_id_is_refused_when_its_counter_would_run_out():
    # One step short of a full counter: OR-ing the bits in would fill it whenever the random
    # counter's lowest bit is already 1.
    newest = uuid.UUID(int=(uuid7_batch(1)[0].int & ~RAND_B_MASK) | (RAND_B_MASK - 1))

    assert uuid7_batch_after(newest, 1) is not None
    assert uuid7_batch_after(newest, 2) is None
