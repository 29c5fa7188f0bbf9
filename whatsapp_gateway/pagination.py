"""Pages of every list: ?page=N and ?page_size=N (at most `max_page_size` rows a page)."""

from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination

from whatsapp_gateway.api_input import ascii_id


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    # Bounded so one request cannot ask for a whole 100,000-recipient session at once.
    max_page_size = 1000
    page_query_description = "The page to answer, from 1; a page past the last is a 404."
    page_size_query_description = f"Rows a page, from 1 (more than {max_page_size} answers {max_page_size})."

    def get_page_size(self, request):
        # DRF falls back to the default size for a bad value; a bad value is the caller's mistake to hear of.
        given = request.query_params.get(self.page_size_query_param)
        if given in (None, ""):
            return self.page_size
        size = ascii_id(given)
        if not size:
            raise exceptions.ValidationError({self.page_size_query_param: ["Must be a whole number from 1."]})
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters

    def get_paginated_response_schema(self, schema):
        # The envelope's examples, shown around every list's example in the docs (DRF's are api.example.org's).
        paginated = super().get_paginated_response_schema(schema)
        properties = paginated["properties"]
        properties["count"]["example"] = 1200
        properties["next"]["example"] = "https://gateway.example.com/api/v1/sessions/?page=3&page_size=100"
        properties["previous"]["example"] = "https://gateway.example.com/api/v1/sessions/?page=1&page_size=100"
        return paginated
