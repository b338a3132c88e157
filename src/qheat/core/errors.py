"""The one exception type users see: a message that says what is wrong and how to fix it."""


class QheatError(ValueError):
    """Bad input or an unusable request. The CLI prints its message on one line and exits with 2."""
