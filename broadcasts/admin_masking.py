"""Admin roles for personal data: full phone numbers only for operators with `broadcasts.view_personal_data`.

Superusers have every permission. Everyone else sees each field named in `masked_fields` through
its `<field>_masked` display method, on lists and detail pages alike; search by a full number
(in any format) still finds the row.
"""

import json
import re

from django.utils.html import format_html

PERSONAL_DATA_PERMISSION = "broadcasts.view_personal_data"
_SEARCH_NUMBER = re.compile(r"^\+?[\d\s\-().]{6,}$")


def sees_personal_data(request) -> bool:
    return request.user.has_perm(PERSONAL_DATA_PERMISSION)


def pretty_json(value) -> str:
    return format_html("<pre style='white-space:pre-wrap'>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


class PersonalDataAdminMixin:
    """Swap `masked_fields` for their `<field>_masked` methods unless the user may see personal data."""

    masked_fields: tuple[str, ...] = ()

    def _swapped(self, request, names) -> list:
        if sees_personal_data(request):
            return list(names)
        seen, swapped = set(), []
        for name in names:
            name = f"{name}_masked" if name in self.masked_fields else name
            if name not in seen:
                seen.add(name)
                swapped.append(name)
        return swapped

    def get_list_display(self, request):
        return self._swapped(request, super().get_list_display(request))

    def get_list_display_links(self, request, list_display):
        links = super().get_list_display_links(request, list_display)
        return self._swapped(request, links) if links else links

    def get_readonly_fields(self, request, obj=None):
        names = list(super().get_readonly_fields(request, obj))
        if sees_personal_data(request):
            return names
        # The masked methods are read-only fields; the model fields they stand for are not shown.
        return self._swapped(request, [*names, *self.masked_fields])

    def get_fields(self, request, obj=None):
        return self._swapped(request, super().get_fields(request, obj))

    def get_search_results(self, request, queryset, search_term):
        # "+1 202 555-0101" finds the stored "12025550101".
        if _SEARCH_NUMBER.match(search_term.strip()):
            search_term = "".join(ch for ch in search_term if ch.isdigit())
        return super().get_search_results(request, queryset, search_term)
