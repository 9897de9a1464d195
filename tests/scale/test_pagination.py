"""StrictPageNumberPagination without a view's load_page: rows come from the queryset."""

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from error.models import Error
from scale.api.pagination import StrictPageNumberPagination
from tests import factories

pytestmark = pytest.mark.django_db


class PlainView:
    """A view with neither a FilterSet nor load_page."""


def test_a_page_of_a_plain_queryset_keeps_its_order_and_counts_its_rows():
    errors = [factories.ErrorFactory() for _ in range(5)]
    request = Request(APIRequestFactory().get("/errors/", {"page": 2, "page_size": 2}))
    pagination = StrictPageNumberPagination()

    page = pagination.paginate_queryset(Error.objects.order_by("-id"), request, PlainView())

    newest_first = sorted(errors, key=lambda error: -error.id)
    assert page == newest_first[2:4]
    assert pagination.page.paginator.count == 5
