import time

from relay.ids import uuid7, uuid7_batch


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
