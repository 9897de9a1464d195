from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions


class ReadOpenWriteByModelPermission(DjangoModelPermissions):
    """Reads are open (unless ``SCALE_READS_REQUIRE_LOGIN``); writes need the model permission.

    A PATCH of a job needs ``job.change_job``; anonymous writers get 401, authenticated
    users without the permission 403.
    """

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return bool(
                not settings.SCALE_READS_REQUIRE_LOGIN
                or (request.user and request.user.is_authenticated)
            )
        return super().has_permission(request, view)


class RequiresPermission(BasePermission):
    """Every request needs an authenticated user with the view's ``required_permission``
    (``job.queue_job``): anonymous clients get 401, users without it 403."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user and user.is_authenticated and user.has_perm(view.required_permission)
        )
