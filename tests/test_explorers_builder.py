"""The build-your-CNN explorer (helpers.explorers.builder): its state changes, picture and widget. Its numbers
come from helpers.shapes.compute, tested against torch in test_shape_engine.py."""

import pytest

from helpers.explorers.builder import CNNBuilder
from helpers.shapes import conv, flatten, linear, maxpool, relu

WALK = [conv(10, 3), relu(), maxpool(2), conv(10, 3), relu(), maxpool(2), flatten(), linear(2)]


# --- the explorer -------------------------------------------------------------------------------------------
def test_builder_edits_state_and_recomputes():
    b = CNNBuilder()
    assert b.compute(**b.state)["output_shape"] == (2,)
    b.remove_layer(6)                                                    # no Flatten any more
    assert b.compute(**b.state)["error"]["index"] == 6 and b.state["selected"] == 6
    b.add_layer(flatten(), 6)
    assert b.compute(**b.state)["output_shape"] == (2,)
    b.replace_layer(7, linear(10))
    assert b.compute(**b.state)["total_params"] == 280 + 910 + 10 * 1761
    b.set_state(input_shape=(1, 28, 28))
    assert b.compute(**b.state)["rows"][6].output_shape == (250,)        # 28 → 26 → 13 → 11 → 5: 10·5·5
    with pytest.raises(ValueError, match="index must name a layer, 0 to 7"):
        b.remove_layer(8)
    with pytest.raises(ValueError, match="index must be between 0 and 8"):
        b.add_layer(relu(), 9)
    with pytest.raises(TypeError, match="unknown setting"):
        b.set_state(kernel_size=3)
    assert b.set_state(selected=99)["selected"] == 7                     # clamped to the last layer


def test_builder_table_text():
    b = CNNBuilder(layers=WALK[:7] + [linear(2, in_features=1000)])
    text = b.table()
    assert text.splitlines()[0] == "input: N×3×50×70"
    assert "⌊(50 + 2·0 − 3)/1⌋ + 1 = 48" in text
    assert text.splitlines()[-1].startswith("✗ layer 7 (Linear(1000→2)) cannot run")
    assert "total parameters: 1,190" in text
    b = CNNBuilder()
    assert b.table().splitlines()[-1] == "total parameters: 4,712"
    assert "1760→2" in b.html_table() and "4,712" in b.html_table()


def test_picture_shows_shapes_and_the_error():
    b = CNNBuilder(selected=3)
    png = b.update()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    shown = [t.get_text() for t in b.shapes if t.get_text()]
    assert shown == ["3×50×70", "10×48×68", "10×24×34", "10×22×32", "10×11×16", "1760", "2"]   # ReLUs merged
    names = [t.get_text() for t in b.names if t.get_text()]
    assert names[1] == "0–1\nconv 3×3\n+ ReLU" and names[-1] == "7\nlinear 2"
    assert b.footer.get_text().splitlines()[1] == "parameters: 10·(10·3·3 + 1) = 910"
    assert b.band.get_visible()
    b.update(layers=WALK[:7] + [linear(2, in_features=1000)])
    assert b.total.get_text() == "✗ layer 7 (Linear(1000→2)) cannot run:"
    assert "Set in_features=1760." in b.footer.get_text()
    assert [t.get_text() for t in b.shapes if t.get_text()][-1] == "does not\nfit"
    b.update(layers=[conv(10, 3), relu(), maxpool(2)] * 8)             # more layers than columns
    assert b.names[b.max_columns - 1].get_text().startswith("+ ")
    b.update(layers=[linear(10), relu(), linear(2)], input_shape=(15,), selected=None)
    assert [t.get_text() for t in b.shapes if t.get_text()] == ["15", "10", "2"]


def test_widget_controls_drive_the_picture():
    pytest.importorskip("ipywidgets")
    b = CNNBuilder()
    box = b.widget()
    assert "explorer" in box._dom_classes
    sliders = box.children[0].children
    layer_list, editor, actions = box.children[1].children
    image, table = box.children[2], box.children[3]
    assert "explorer-image" in image._dom_classes
    assert layer_list.options[7] == "7: Linear(1760→2)"
    before = image.value
    sliders[1].value = 30                                               # height 50 → 30
    assert b.state["input_shape"] == (3, 30, 70) and image.value != before
    assert "10×6×16" in table.value
    layer_list.index = 6
    buttons = {btn.description: btn for btn in actions.children}
    buttons["remove"].click()                                           # remove the Flatten
    assert "needs a flat vector" in table.value and len(layer_list.options) == 7
    editor.children[0].value = "flatten"
    layer_list.index = 5
    buttons["insert after"].click()
    assert layer_list.options[6] == "6: Flatten()" and b.compute(**b.state)["error"] is None
    buttons["reset"].click()
    assert b.state["input_shape"] == (3, 50, 70) and sliders[1].value == 50


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 300, 260)])
def test_widget_starts_where_the_builder_starts(shape):
    """The size sliders show the input the builder was made with, even beyond their usual range."""
    b = CNNBuilder(input_shape=shape)
    box = b.widget()
    assert tuple(s.value for s in box.children[0].children) == shape == b.state["input_shape"]
    box.children[0].children[0].value = 2                              # moving one slider keeps the others
    assert b.state["input_shape"] == (2, *shape[1:])
