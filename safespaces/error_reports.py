"""What error reports may print: no local variable and no posted value, with DEBUG on too."""

from collections.abc import ItemsView
from types import FrameType
from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class AlwaysSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Hide every frame's variables and every posted value, whatever DEBUG says.

    Django hides only what `sensitive_variables` and `sensitive_post_parameters` mark, and only
    with DEBUG off. Here survivors' words pass through almost every frame (a field sealing a
    value, a view holding an export's rows, a form's cleaned data), so marking them one by one
    would always miss one: a report names the files, lines and functions, and a developer who
    needs values reproduces the error on fictional data. The debug page of a copy run with real
    keys or real data (a staging server, a demo on a laptop) stays as safe as a production email.
    """

    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_traceback_frame_variables(
        self, request: HttpRequest | None, tb_frame: FrameType
    ) -> ItemsView[str, Any]:
        return {name: self.cleansed_substitute for name in tb_frame.f_locals}.items()

    def get_post_parameters(self, request: HttpRequest | None) -> dict[str, Any]:
        if request is None:
            return {}
        return {name: self.cleansed_substitute for name in request.POST}
