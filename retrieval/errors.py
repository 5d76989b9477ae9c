"""Errors a user can fix. The CLI and HTTP edges turn them into one-line messages."""


class ConciergeError(Exception):
    """A problem with the user's input or set-up; the message says how to fix it."""


class CatalogError(ConciergeError):
    """A catalog file cannot be read at all (missing, empty, unknown format)."""


class UnknownCatalogError(ConciergeError):
    def __init__(self, name: str, known: list[str]) -> None:
        have = ", ".join(sorted(known)) or "none yet"
        super().__init__(
            f"no catalog named {name!r} (ingested: {have}); "
            f"run 'concierge ingest PATH --catalog {name}' first"
        )
