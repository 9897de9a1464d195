import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder()


class FastJSONRenderer(JSONRenderer):
    """DRF's JSON renderer on orjson: the same output, several times faster on big pages.

    Types orjson does not know (Decimal, lazy translations, ...) go through DRF's encoder;
    what orjson refuses outright (integers beyond 64 bits in stored JSON) goes through
    DRF's own renderer.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        try:
            body = orjson.dumps(data, default=_fallback.default)
        except TypeError:
            return super().render(data, accepted_media_type, renderer_context)
        if self.get_indent(accepted_media_type, renderer_context or {}):
            # For a person (the browsable API asks for indent=4, a client may too): the
            # rows PostgreSQL rendered are embedded as they came, so the page is read back
            # and written again, two spaces a level.
            return orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2)
        return body
