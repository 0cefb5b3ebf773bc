from django.db import models


class KeyCheck(models.Model):
    """A known value sealed under one field key, written the first time the key met this database.

    If the configured key of that id no longer opens it, the key is not the one the data was
    sealed with: the app refuses to serve instead of failing on every page (`keycheck`).
    """

    key_id = models.CharField(max_length=16, primary_key=True)
    sealed = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"key check {self.key_id}"
