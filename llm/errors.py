"""What the LLM seam raises. Messages are ours, never the provider's or the SDK's text."""

from __future__ import annotations

from llm.types import Completion


class LLMError(Exception):
    """A model call failed; `message` is safe to log and to map to a user-facing text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LLMUnavailable(LLMError):
    """No model answered. `retryable` says whether asking again later may work
    (rate limits, outages, timeouts) or not (offline, misconfigured, rejected request)."""

    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class LLMDeadlineExceeded(LLMUnavailable):
    """The caller's overall deadline ran out before a model answered."""

    def __init__(self, message: str = "the language model did not answer in time") -> None:
        super().__init__(message, retryable=True)


class LLMValidationError(LLMError):
    """The model answered, but not in the requested shape, even after re-asking.

    `errors` is the validation report (for the generation record, not for users);
    `completion` holds the accounting of every attempt, re-asks included.
    """

    def __init__(self, message: str, *, errors: str, completion: Completion) -> None:
        super().__init__(message)
        self.errors = errors
        self.completion = completion
