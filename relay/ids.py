"""Time-ordered UUIDs (version 7, RFC 9562) for rows written in bulk.

Random UUIDv4 keys land on random pages of a big index, so every insert into a large table
touches a cold page; UUIDv7 keys grow with time and append at the index's right edge. Ids of one
batch are strictly increasing, so ordering by id is ordering by creation. No Django imports.
"""

import os
import time
import uuid

# rand_b (62 bits) counts within a batch from a random start below 2**56, which leaves room for
# far more rows than any batch holds; rand_a (12 bits) is random.
COUNTER_START_BITS = 56
VERSION_7 = 0x7 << 76
VARIANT_RFC = 0b10 << 62
RAND_B_MASK = (1 << 62) - 1


def uuid7_batch(count: int, *, now_ms: int | None = None) -> list[uuid.UUID]:
    """`count` distinct UUIDv7s of one millisecond, in increasing order."""
    timestamp = int(time.time() * 1000) if now_ms is None else now_ms
    random_bits = int.from_bytes(os.urandom(10), "big")
    rand_a = random_bits & 0xFFF
    start = (random_bits >> 12) & ((1 << COUNTER_START_BITS) - 1)
    base = (timestamp & ((1 << 48) - 1)) << 80 | VERSION_7 | rand_a << 64 | VARIANT_RFC
    first = base | start
    return [uuid.UUID(int=first + offset) for offset in range(count)]


def uuid7() -> uuid.UUID:
    return uuid7_batch(1)[0]


def uuid7_batch_after(newest: uuid.UUID, count: int) -> list[uuid.UUID] | None:
    """`count` increasing UUIDv7s right after `newest`: its millisecond and random bits, with the
    counter (rand_b) moved on. For rows that must sort after `newest` when this clock has not
    passed it (another process's batch of the same millisecond, a clock behind). None when the
    counter would run out."""
    if (newest.int & RAND_B_MASK) + count > RAND_B_MASK:
        return None
    return [uuid.UUID(int=newest.int + offset) for offset in range(1, count + 1)]
