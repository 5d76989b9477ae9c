"""Which of a handful of the catalog's types a request needs, by a local chat model's likelihood.

The packaged SmolLM2-135M cannot be trusted to write structure (ARCHITECTURE.md), but it can rank
a few given answers: each candidate type's log-probability as the answer to "which kind of
product do they need?", minus its log-probability after a neutral request (contextual
calibration: without it the model prefers the same few words whatever was asked). The prompt is
read once and its cache shared by every candidate, so a handful of candidates costs little more
than one; the neutral scores are kept per type name.
"""

import threading
from collections.abc import Sequence
from typing import Any

NEUTRAL = "I'm looking for something."
# The request comes last, so that everything before it is read once and kept.
QUESTION = 'Which kind of product does this shopper need? The shopper says: "{request}"'
ANSWER = "The kind of product they need is:"
MAX_REQUEST_CHARS = 300  # a longer message is cut: the head says the need


class TypeLikelihood:
    """Calibrated log-likelihoods of candidate type names for a request."""

    def __init__(self, model: Any, tokenizer: Any, lock: Any = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.lock = lock or threading.Lock()  # one forward pass at a time per model
        self._neutral: dict[str, float] = {}
        self._head: tuple[list[int], Any] | None = None  # the prompt before the request, read

    @classmethod
    def of(cls, chat: Any) -> "TypeLikelihood | None":
        """The scorer for an in-process chat model (bot.llm.LocalChatModel); None for one
        behind a server, which gives no token probabilities here."""
        model, tokenizer = getattr(chat, "_model", None), getattr(chat, "_tokenizer", None)
        if model is None or tokenizer is None:
            return None
        return cls(model, tokenizer, getattr(chat, "_lock", None))

    def scores(self, request: str, candidates: Sequence[str]) -> dict[str, float]:
        """candidate -> log P(candidate | request) - log P(candidate | a neutral request)."""
        names = list(dict.fromkeys(candidates))
        if not names:
            return {}
        missing = [n for n in names if n not in self._neutral]
        if missing:
            self._neutral.update(zip(missing, self._logprobs(NEUTRAL, missing), strict=True))
        said = self._logprobs(request[:MAX_REQUEST_CHARS], names)
        return {n: s - self._neutral[n] for n, s in zip(names, said, strict=True)}

    def _prompt_ids(self, request: str) -> list[int]:
        chat = [{"role": "user", "content": QUESTION.format(request=request)}]
        text = self.tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
        ids: list[int] = self.tokenizer(text + ANSWER, add_special_tokens=False)["input_ids"]
        return ids

    def _read(self, ids: list[int]) -> tuple[Any, Any]:
        """The model's output and cache after the prompt `ids`: the part every prompt shares
        is read once (its cache copied for each request), then the rest."""
        import copy

        import torch

        if self._head is None:  # the tokens before the request (a request of one word)
            probe = self._prompt_ids("\x00")
            shared = next((n for n, (a, b) in enumerate(zip(probe, ids, strict=False)) if a != b),
                          min(len(probe), len(ids)))  # fmt: skip
            head = ids[: max(0, shared - 1)]  # a token may join the request's first word
            self._head = head, self.model(input_ids=torch.tensor([head]), use_cache=True).cache
        head, cache = self._head
        if not head or ids[: len(head)] != head:
            return self.model(input_ids=torch.tensor([ids]), use_cache=True), None
        cache = copy.deepcopy(cache)
        out = self.model(input_ids=torch.tensor([ids[len(head) :]]), cache=cache, use_cache=True)
        return out, out.cache

    def _logprobs(self, request: str, names: list[str]) -> list[float]:
        """The summed log-probability of each name's tokens after the prompt: the prompt is read
        once, then every name in one padded batch over the prompt's cache."""
        import torch

        ids = self._prompt_ids(request)
        pieces = [self.tokenizer(" " + n, add_special_tokens=False)["input_ids"] for n in names]
        longest = max(len(p) for p in pieces)
        pad = self.tokenizer.pad_token_id or self.tokenizer.eos_token_id or 0
        batch = torch.tensor([p + [pad] * (longest - len(p)) for p in pieces])
        real = torch.tensor([[1] * len(p) + [0] * (longest - len(p)) for p in pieces])
        with self.lock, torch.inference_mode():
            first, cache = self._read(ids)
            cache = cache if cache is not None else first.cache
            cache.batch_repeat_interleave(len(names))
            mask = torch.cat([torch.ones(len(names), len(ids), dtype=real.dtype), real], 1)
            rest = self.model(input_ids=batch, cache=cache, attention_mask=mask)
        # the prompt's last position predicts each name's first token; position j its j+1th
        logits = torch.cat(
            [first.logits[:, -1:, :].expand(len(names), -1, -1), rest.logits[:, :-1, :]], 1
        ).float()
        logp = torch.log_softmax(logits, -1).gather(2, batch.unsqueeze(-1)).squeeze(-1)
        return (logp * real).sum(1).tolist()
