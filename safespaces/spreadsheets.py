"""What every CSV export shares: a file spreadsheets open in the right encoding, and cells they
show as they are."""

from django.http import HttpResponse

# Spreadsheet programs read a CSV file in the computer's old code page unless it starts with a
# byte-order mark: an é, Arabic or Thai would come out garbled.
BYTE_ORDER_MARK = "\ufeff"

# Spreadsheets run a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as text a spreadsheet shows as it is: a leading quote stops a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_response(filename: str) -> HttpResponse:
    """An empty CSV download named `filename`, its byte-order mark written: csv.writer it."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write(BYTE_ORDER_MARK)
    return response
