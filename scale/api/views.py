from rest_framework.exceptions import MethodNotAllowed


class MethodNotAllowedFirstMixin:
    """Answer 405 for a method the route does not serve before checking permissions.

    DRF checks permissions first, so an anonymous DELETE would be a 401 and a POST by an
    operator a 403 — both misleading for a method that no one may use on that URL.
    """

    def initial(self, request, *args, **kwargs):
        if getattr(self, request.method.lower(), None) is None:
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)
