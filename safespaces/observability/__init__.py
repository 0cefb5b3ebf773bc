"""What the app tells its operators: log lines, error emails and error reports, none of which
may carry what people typed, searched, were sent or saw (docs/operations.md, Logs and errors)."""
