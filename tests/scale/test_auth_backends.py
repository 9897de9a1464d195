"""The model backend gives the permission sets of Django's own, from one query."""

import pytest
from django.contrib.auth import backends
from django.contrib.auth.models import Group, Permission, User

from scale.auth_backends import ModelBackend

pytestmark = pytest.mark.django_db


def _permission(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


@pytest.fixture
def users():
    operators = Group.objects.create(name="operators")
    operators.permissions.add(_permission("change_job"), _permission("view_job"))
    auditors = Group.objects.create(name="auditors")
    auditors.permissions.add(_permission("view_error"), _permission("view_job"))
    own = User.objects.create_user("own")
    own.user_permissions.add(_permission("delete_job"))
    grouped = User.objects.create_user("grouped")
    grouped.groups.add(operators, auditors)
    both = User.objects.create_user("both")
    both.user_permissions.add(_permission("change_job"), _permission("add_error"))
    both.groups.add(operators)
    inactive = User.objects.create_user("inactive", is_active=False)
    inactive.groups.add(operators)
    return [
        own,
        grouped,
        both,
        inactive,
        User.objects.create_user("nothing"),
        User.objects.create_superuser("root"),
    ]


def test_permission_sets_equal_djangos(users):
    for user in users:
        ours = ModelBackend().get_all_permissions(User.objects.get(pk=user.pk))
        djangos = backends.ModelBackend().get_all_permissions(User.objects.get(pk=user.pk))
        assert ours == djangos, user.username
    grouped = ModelBackend().get_all_permissions(users[1])
    assert grouped == {"job.change_job", "job.view_job", "error.view_error"}


def test_one_query_per_request_user(users, django_assert_num_queries):
    user = User.objects.get(username="both")
    with django_assert_num_queries(1):
        assert user.has_perm("job.change_job")
        assert user.has_perm("error.add_error")
        assert not user.has_perm("job.delete_job")
