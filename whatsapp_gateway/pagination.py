from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    # Bounded so one request cannot ask for a whole 100,000-recipient session at once.
    max_page_size = 1000
