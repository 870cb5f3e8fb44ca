from datasets.palette import PALETTE, next_color


def test_the_first_free_colour_is_chosen():
    assert next_color([PALETTE[0].lower(), PALETTE[2]]) == PALETTE[1]


def test_colours_repeat_only_when_the_palette_is_used_up():
    assert next_color(PALETTE) == PALETTE[0]
