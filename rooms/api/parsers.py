"""The API's JSON parser: DRF's, answering every body it cannot decode with a parse error.

DRF turns a decoder's ValueError into a 400, but JSON nested deeper than Python's recursion limit
(ten thousand `[`) raises RecursionError, which became a 500 HTML page."""

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
