"""Scale Job Services: a Django project serving the Job Services of the Scale REST API."""

__version__ = "1.0.0"
