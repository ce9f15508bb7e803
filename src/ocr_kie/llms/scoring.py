"""Log-probabilities of continuations of a prompt on a local GGUF model (grounded decoding's scorer).

:class:`ContinuationScorer` (from :meth:`~ocr_kie.llms.LlamaCppChatModel.scorer`) scores several
continuations of one prompt in one batch: a llama.cpp context of its own (:class:`_ScoringContext`)
holds the prompt in sequence 0 of a unified KV cache and each continuation in a sequence that
shares the prompt's cells. The longest prefix already in the cache is reused across calls.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from ocr_kie.errors import LlmCallError, LlmContextOverflowError
from ocr_kie.llms.chat_format import render_prompt

__all__ = ["ContinuationScorer"]

#: Sequences of the scoring context: one holds the prompt, the others one continuation each.
_SCORING_SEQUENCES = 16
#: The llama-cpp-python the scoring context was built and tested with (pyproject's lower bound).
_MIN_LLAMA_CPP = "0.3.36"


class _ScoringContext:
    """A llama.cpp context of its own for scoring, where several continuations share one prompt.

    The chat model's context holds one sequence; this one (same model weights, its own KV cache)
    holds :data:`_SCORING_SEQUENCES` in one unified cache, so sequence 0 holds the prompt and each
    other sequence shares the prompt's cells and adds one continuation. A key's candidates are then
    one batch (one pass over the model's weights, every thread busy) instead of one small batch
    per candidate.

    Args:
        llama: The ``llama_cpp.Llama`` whose model and settings it shares.
    """

    def __init__(self, llama: Any) -> None:
        import ctypes

        import llama_cpp
        from llama_cpp import _internals

        fields = {field[0] for field in type(llama.context_params)._fields_}
        if "kv_unified" not in fields or "n_seq_max" not in fields:
            raise LlmCallError(
                f"grounded decoding needs a llama.cpp with a unified KV cache: llama-cpp-python "
                f"{_MIN_LLAMA_CPP} or newer (installed: {getattr(llama_cpp, '__version__', 'unknown')}); "
                f"pip install -U 'llama-cpp-python>={_MIN_LLAMA_CPP}', or use strategy='fewshot'",
                provider="llamacpp",
            )
        params = type(llama.context_params)()
        ctypes.pointer(params)[0] = llama.context_params  # a copy of the chat context's settings
        params.n_seq_max = _SCORING_SEQUENCES
        params.kv_unified = True  # every sequence may use the whole context, prompt cells shared
        # Flash attention would evaluate a 1,758-token receipt prompt in 4.1 s instead of 5.0 s (2 cores),
        # but its scores then move by up to 0.25 nats with the batch's make-up: off, for stable rankings.
        params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
        self.ctx = _internals.LlamaContext(model=llama._model, params=params, verbose=False)
        self.batch = _internals.LlamaBatch(n_tokens=llama.n_batch, embd=0, n_seq_max=_SCORING_SEQUENCES, verbose=False)
        self.n_batch = llama.n_batch
        self.n_ctx = llama.n_ctx()
        self.n_vocab = llama.n_vocab()
        #: The tokens sequence 0 holds.
        self.tokens: list[int] = []
        #: Batch entries the last :meth:`score` decoded (shared tokens once).
        self.decoded = 0

    def hold(self, tokens: list[int]) -> int:
        """Make sequence 0 hold exactly ``tokens``; returns how many tokens had to be evaluated."""
        held = _common_prefix(tokens, self.tokens)
        self.ctx.kv_cache_seq_rm(0, held, -1)
        self.tokens = self.tokens[:held]
        for at in range(held, len(tokens), self.n_batch):
            chunk = tokens[at : at + self.n_batch]
            self.batch.set_batch(batch=chunk, n_past=at, logits_all=False)
            self.ctx.decode(self.batch)
            self.tokens.extend(chunk)
        return len(tokens) - held

    def score(self, spans: Sequence[tuple[int, list[int]]]) -> list[Any]:
        """Decode each ``(start, tokens)`` span after sequence 0's first ``start`` tokens, all in one batch.

        Spans that begin alike share their common tokens: such a token is decoded once, in every
        sequence whose span holds it (one cell of the unified cache, visible to all of them), so
        that runs of lines that start on the same line, and the quote every answer opens with,
        cost their tokens once. A token's logits depend only on the tokens before it, so the
        sharing changes a score only as any other batch shape does (the 4-bit kernels' paths:
        up to about 0.15 nats, see ``tests/test_decoding.py``).

        Returns:
            Per span, the log-probabilities of its tokens after the first.
        """
        import numpy as np

        raw = self.batch.batch
        raw.n_tokens = 0
        entries: dict[tuple[int, int], int] = {}  # (the entry before, token) -> batch entry
        paths: list[list[int]] = []
        for seq, (start, tokens) in enumerate(spans, 1):
            self.ctx.kv_cache_seq_cp(0, seq, 0, start)
            before, path = -1 - start, []  # a span's first token follows the prompt's first `start` tokens
            for i, token in enumerate(tokens):
                j = entries.get((before, token))
                if j is None:
                    j = entries[(before, token)] = raw.n_tokens
                    raw.token[j] = token
                    raw.pos[j] = start + i
                    raw.n_seq_id[j] = 0
                    raw.logits[j] = False
                    raw.n_tokens += 1
                raw.seq_id[j][raw.n_seq_id[j]] = seq
                raw.n_seq_id[j] += 1
                if i < len(tokens) - 1:
                    raw.logits[j] = True  # it predicts this span's next token
                path.append(j)
                before = j
            paths.append(path[:-1])
        self.decoded = raw.n_tokens
        try:
            self.ctx.decode(self.batch)
            outputs = [j for j in range(raw.n_tokens) if raw.logits[j]]
            row_of = {j: row for row, j in enumerate(outputs)}
            rows = np.ctypeslib.as_array(self.ctx.get_logits(), shape=(len(outputs) * self.n_vocab,))
            rows = rows.reshape(len(outputs), self.n_vocab)
            # Each output row's log-normaliser once (a row shared by several spans too), in the
            # logits' own float32: one pass over the vocabulary per row, no float64 copies of it.
            top = rows.max(axis=1)
            norm = top + np.log(np.exp(rows - top[:, None]).sum(axis=1))
            out = []
            for path, (_, tokens) in zip(paths, spans, strict=True):
                picked = [row_of[j] for j in path]
                out.append((rows[picked, tokens[1:]] - norm[picked]).astype(np.float64))
            return out
        finally:
            for seq in range(1, len(spans) + 1):
                self.ctx.kv_cache_seq_rm(seq, -1, -1)


class ContinuationScorer:
    """Log-probabilities of continuations of a prompt on a llama.cpp model (see :meth:`LlamaCppChatModel.scorer`).

    The longest prefix already in the scoring context's KV cache is reused (across calls too: a
    system prompt and examples shared by many documents are evaluated once); the continuations
    are then decoded together, each as its own sequence on top of the shared prompt, with the
    logits of every position.

    Args:
        llama: The ``llama_cpp.Llama`` (its lock held by the caller).
        context: The scoring context made for ``llama``.
        chat_template: The chat model's own template, if it has one (see :mod:`ocr_kie.llms.chat_format`).
    """

    def __init__(self, llama: Any, context: _ScoringContext, chat_template: str | None = None) -> None:
        self.llama = llama
        self.context = context
        self.chat_template = chat_template
        self.added_special = False
        #: Tokens evaluated (prompt tokens not found in the cache, plus continuation tokens).
        self.evaluated = 0

    def prompt(self, messages: Sequence[BaseMessage]) -> str:
        """The chat prompt as the model's own chat template renders it, ending where the assistant's reply starts."""
        rendered = render_prompt(self.llama, messages, self.chat_template)
        self.added_special = rendered.added_special
        return rendered.text

    def tokenize(self, text: str) -> list[int]:
        """Tokens of a prompt text (special tokens such as ``<|im_start|>`` parsed), as chat completion does."""
        return self.llama.tokenize(text.encode("utf-8"), add_bos=not self.added_special, special=True)

    def logprobs(self, prefix: str, continuations: Sequence[str]) -> list[list[float]]:
        """The log-probability of each token of each continuation of ``prefix``.

        Tokenization is of ``prefix + continuation`` as a whole (so a token spanning the boundary
        is scored as the model would write it); the tokens after the common prefix count.

        Args:
            prefix: The text before the continuations (a chat prompt and the answer so far).
            continuations: The texts to score.

        Returns:
            Per continuation, the log-probabilities of its tokens (empty if it adds no token).

        Raises:
            LlmContextOverflowError: The prompt and a continuation do not fit the context.
        """
        ctx = self.context
        base = self.tokenize(prefix)
        out: list[list[float]] = [[] for _ in continuations]
        spans: dict[int, tuple[int, list[int]]] = {}  # continuation -> (start, tokens from start)
        for index, text in enumerate(continuations):
            full = self.tokenize(prefix + text)
            common = _common_prefix(full, base)
            if common < len(full):
                start = max(common - 1, 0)  # the position whose logits predict the first new token
                spans[index] = (start, full[start:])
        if not spans:
            return out
        held = max(start for start, _ in spans.values())
        groups = list(_groups(spans, min(ctx.n_batch, ctx.n_ctx - held)))  # new cells one batch may take
        self.evaluated += ctx.hold(base[:held])
        for group in groups:
            scored = ctx.score([spans[i] for i in group])
            self.evaluated += ctx.decoded
            for index, picked in zip(group, scored, strict=True):
                start, tokens = spans[index]
                out[index] = [float(v) for v in picked[_common_prefix(tokens[1:], base[start + 1 :]) :]]
        return out


def _groups(spans: Mapping[int, tuple[int, list[int]]], room: int) -> Iterator[list[int]]:
    """The continuations in batches of at most ``room`` tokens and one sequence each.

    Raises:
        LlmContextOverflowError: One continuation alone does not fit.
    """
    group: list[int] = []
    size = 0
    for index, (start, tokens) in spans.items():
        if len(tokens) > room:
            raise LlmContextOverflowError(
                f"prompt and answer take {start + len(tokens)} tokens (room for {room} after the prompt)",
                provider="llamacpp",
            )
        if group and (size + len(tokens) > room or len(group) == _SCORING_SEQUENCES - 1):
            yield group
            group, size = [], 0
        group.append(index)
        size += len(tokens)
    if group:
        yield group


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n
