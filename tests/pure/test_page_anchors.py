import uuid

from annotations.page_anchors import after_appending, after_removing, anchor_before

IDS = [uuid.UUID(int=value) for value in range(1, 30)]  # increasing, like UUIDv7s


def test_appending_keeps_every_anchor_and_adds_one_each_stride():
    anchors = after_appending([], IDS[:7], rows_before=0, stride=3)

    assert anchors == [[0, str(IDS[0])], [3, str(IDS[3])], [6, str(IDS[6])]]
    assert after_appending(anchors, IDS[7:10], rows_before=7, stride=3) == [
        *anchors,
        [9, str(IDS[9])],
    ]


def test_appending_after_rows_without_anchors_starts_at_the_first_new_row():
    anchors = after_appending([[0, str(IDS[0])]], IDS[20:22], rows_before=12, stride=3)

    assert anchors == [[0, str(IDS[0])], [12, str(IDS[20])]]


def test_removing_moves_later_anchors_back_and_drops_an_anchor_whose_row_went():
    anchors = [[0, str(IDS[0])], [3, str(IDS[3])], [6, str(IDS[6])], [9, str(IDS[9])]]

    kept = after_removing(anchors, [IDS[5], IDS[1], IDS[6]])

    assert kept == [[0, str(IDS[0])], [2, str(IDS[3])], [6, str(IDS[9])]]


def test_the_anchor_before_a_position_is_the_last_at_or_before_it():
    anchors = [[0, "a"], [4, "b"], [9, "c"]]

    assert anchor_before(anchors, 0) == (0, "a")
    assert anchor_before(anchors, 8) == (4, "b")
    assert anchor_before(anchors, 9) == (9, "c")
    assert anchor_before([[2, "x"]], 1) is None
    assert anchor_before([], 5) is None
