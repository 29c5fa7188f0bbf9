import pytest

from transports.placeholders import PlaceholderError, render, render_string, unknown_paths

CONTEXT = {
    "address": "15550100001",
    "message": {"content": "Hi & bye", "meta": {"templateName": "hello", "count": 3, "items": [{"a": 1}], "on": True}},
    "recipient": {"params": {"name": "Ana María", "nested": {"deep": ["x", "y"]}}},
    "transport": {"config": {"baseUrl": "https://api.example.com", "apiVersion": "v23.0"}},
    "secrets": {"token": "s3cr3t"},
}


def test_it_keeps_the_json_type_of_a_whole_value_placeholder():
    body = {"n": "{%message.meta.count%}", "items": "{%message.meta.items%}", "on": "{%message.meta.on%}"}
    assert render(body, CONTEXT) == {"n": 3, "items": [{"a": 1}], "on": True}


def test_it_interpolates_placeholders_inside_longer_strings_as_text():
    assert render("Dear {%recipient.params.name%}, n={%message.meta.count%}", CONTEXT) == "Dear Ana María, n=3"
    assert render("items: {%message.meta.items%}", CONTEXT) == 'items: [{"a":1}]'


def test_it_reads_nested_dicts_and_list_indexes():
    assert render("{%recipient.params.nested.deep.1%}", CONTEXT) == "y"
    assert render({"k": ["{%address%}", {"x": "{%message.meta.items.0.a%}"}]}, CONTEXT) == {
        "k": ["15550100001", {"x": 1}]
    }


def test_it_percent_encodes_placeholders_in_urls_except_the_base():
    url = (
        "{%transport.config.baseUrl%}/{%transport.config.apiVersion%}/send"
        "?to={%recipient.params.name%}&m={%message.content%}"
    )
    assert render_string(url, CONTEXT, url=True) == (
        "https://api.example.com/v23.0/send?to=Ana%20Mar%C3%ADa&m=Hi%20%26%20bye"
    )


def test_it_refuses_an_unknown_path_naming_it():
    with pytest.raises(PlaceholderError) as error:
        render({"a": "x {%message.meta.nope%}"}, CONTEXT)
    assert error.value.path == "message.meta.nope"
    assert "{%message.meta.nope%}" in str(error.value)


def test_it_lists_every_unknown_path_once():
    value = {"a": "{%message.meta.nope%}", "b": ["{%foo.bar%}", "{%message.meta.nope%}"], "c": "{%address%}"}
    assert unknown_paths(value, CONTEXT) == ["message.meta.nope", "foo.bar"]


def test_it_never_evaluates_code():
    assert render("{%__import__('os')%}", CONTEXT) == "{%__import__('os')%}"  # not even a placeholder
    with pytest.raises(PlaceholderError):
        render("{%message.content.__class__%}", CONTEXT)


def test_it_leaves_the_input_untouched():
    body = {"a": "{%address%}"}
    render(body, CONTEXT)
    assert body == {"a": "{%address%}"}
