from django.db import models


class Error(models.Model):
    """A known cause of job failure, grouped by who is to blame."""

    class Category(models.TextChoices):
        SYSTEM = "SYSTEM"
        ALGORITHM = "ALGORITHM"
        DATA = "DATA"

    name = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=50, blank=True, null=True)
    description = models.CharField(max_length=250, blank=True, null=True)
    category = models.CharField(max_length=50, choices=Category.choices, default=Category.SYSTEM)
    # Loaded with the installation (Scale's built-in errors) rather than registered later.
    is_builtin = models.BooleanField(default=False, db_default=False)
    created = models.DateTimeField(auto_now_add=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "error"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
