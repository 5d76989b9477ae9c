"""A task repeated in the background (looking for catalog changes, learning from the log)."""

import sys
import threading
import time
from collections.abc import Callable


def every(seconds: float, work: Callable[[], object], name: str) -> threading.Thread | None:
    """Run `work` every `seconds` in a daemon thread; a failure is printed and the next round
    tries again (the store or the database may be back). None when seconds is 0."""
    if seconds <= 0:
        return None

    def loop() -> None:
        while True:
            time.sleep(seconds)
            try:
                work()
            except Exception as error:
                print(f"{name}: failed this time ({type(error).__name__}: {error})",
                      file=sys.stderr)  # fmt: skip

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread
