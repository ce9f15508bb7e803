"""Chat messages as the text a local GGUF model reads: one renderer for the chat model and the scorer.

The GGUF's own chat template (``tokenizer.chat_template``, Jinja) when it has one, unless the model
is given another (``LlamaCppChatModel(chat_template=...)``). A GGUF without one gets
:data:`CHATML` (what most small instruct models were trained on), in chat completion as in
scoring; llama-cpp-python alone would fall back to Llama-2's ``[INST]`` format for chat and the
scorer would not know it.

A *base* model (Gemma 3 270M) was trained on plain text, with no chat turns: it reads
:data:`TRANSCRIPT`, the conversation as a plain-text transcript (``User:`` / ``Assistant:``), which
is how a base model sees few-shot dialogue on the web. The model's own BOS token is added as its
tokenizer asks (``tokenizer.ggml.add_bos_token``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ChatMessage, HumanMessage, SystemMessage, ToolMessage

from ocr_kie.errors import LlmConfigError

__all__ = ["CHATML", "TRANSCRIPT", "RenderedPrompt", "chat_handler", "render_prompt", "role_of", "text_of"]

#: ChatML: the template of GGUFs that carry none.
CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
#: A plain-text transcript for base models: the system text, then ``User:``/``Assistant:`` turns.
TRANSCRIPT = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}\n\n"
    "{% elif message['role'] == 'assistant' %}Assistant: {{ message['content'] }}\n\n"
    "{% else %}User: {{ message['content'] }}\n\n{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}"
)
#: Stop strings of each of our templates (a reply ends before the next turn would start).
_STOPS = {CHATML: ["<|im_end|>"], TRANSCRIPT: ["\nUser:", "\n\nUser"]}


def text_of(message: BaseMessage) -> str:
    """A message's text (text content parts joined).

    Raises:
        LlmConfigError: A non-text content part (an image …).
    """
    content = message.content
    if isinstance(content, str):
        return content
    parts = []
    for part in content:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict) and part.get("type") == "text":
            parts.append(str(part.get("text", "")))
        else:
            raise LlmConfigError("LlamaCppChatModel takes text only; got a non-text content part")
    return "".join(parts)


def role_of(message: BaseMessage) -> str:
    """A message's chat role: ``system``, ``assistant``, ``user`` (or a ``ChatMessage``'s own)."""
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, ChatMessage):
        return message.role
    if isinstance(message, (HumanMessage, ToolMessage)):
        return "user"
    return "user"


@dataclass(frozen=True)
class RenderedPrompt:
    """A chat prompt as text, ending where the assistant's reply starts.

    Attributes:
        text: The prompt.
        added_special: Whether the text already holds the BOS token (do not add another).
    """

    text: str
    added_special: bool = False


def own_template(llama: Any, template: str | None) -> str | None:
    """The template to render with instead of llama-cpp-python's choice, or None to leave it to it.

    ``template`` when given; :data:`CHATML` when the GGUF has no template; None when the GGUF's
    own template applies (llama-cpp-python renders it already).
    """
    if template:
        return template
    return None if (llama.metadata or {}).get("tokenizer.chat_template") else CHATML


def _piece(llama: Any, token: int) -> str:
    return llama.detokenize([token], special=True).decode("utf-8", "ignore") if token >= 0 else ""


def _formatter(llama: Any, template: str) -> Any:
    from llama_cpp.llama_chat_format import ChatFormatterResponse, Jinja2ChatFormatter

    class Formatter(Jinja2ChatFormatter):
        """Our template, the BOS token left to the tokenizer (Jinja2ChatFormatter says it is in the text)."""

        def __call__(self, **kwargs: Any) -> ChatFormatterResponse:
            result = super().__call__(**kwargs)
            stops = [result.stop] if isinstance(result.stop, str) else list(result.stop or [])
            return dataclasses.replace(result, added_special=False, stop=stops + _STOPS.get(template, []))

    return Formatter(
        template=template, eos_token=_piece(llama, llama.token_eos()), bos_token=_piece(llama, llama.token_bos())
    )


def chat_handler(llama: Any, template: str) -> Any:
    """A llama-cpp-python chat completion handler rendering by ``template`` (grammar, stops and all)."""
    from llama_cpp.llama_chat_format import chat_formatter_to_chat_completion_handler

    return chat_formatter_to_chat_completion_handler(_formatter(llama, template))


def render_prompt(llama: Any, messages: Sequence[BaseMessage], template: str | None = None) -> RenderedPrompt:
    """The chat prompt as chat completion renders it, ending where the assistant's reply starts.

    Args:
        llama: The ``llama_cpp.Llama`` (its GGUF metadata holds the template).
        messages: The chat.
        template: A template to use instead of the GGUF's (see :func:`own_template`).
    """
    roles = [{"role": role_of(m), "content": text_of(m)} for m in messages]
    chosen = own_template(llama, template)
    if chosen is None:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        formatter = Jinja2ChatFormatter(
            template=llama.metadata["tokenizer.chat_template"],
            eos_token=_piece(llama, llama.token_eos()),
            bos_token=_piece(llama, llama.token_bos()),
        )
    else:
        formatter = _formatter(llama, chosen)
    result = formatter(messages=roles)
    return RenderedPrompt(result.prompt, bool(getattr(result, "added_special", False)))
