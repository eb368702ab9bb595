"""Functional attention: scaled dot-product and multi-head attention.

``scaled_dot_product_attention`` computes ``softmax(q k^T * scale + bias) v`` over the last two
dimensions, any leading (batch, head) dimensions broadcasting. Masks are boolean (True: the
key takes part) or additive floats; a query row whose keys are all masked out yields zeros.
``multi_head_attention_forward`` is the computation behind ``nn.MultiheadAttention``.

>>> import ember
>>> import ember.nn.functional as F
>>> q = k = v = ember.ones(1, 2, 3, 4)
>>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
ember.Size([1, 2, 3, 4])
"""

from __future__ import annotations

import math
import warnings

from .. import _dtype as D
from .. import ops
from .._tensor import Tensor
from ._functional_activation import softmax
from ._functional_conv import pad

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

# The C++ scalar-type names that appear in attention error messages.
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}


def _cpp_name(dtype: D.dtype) -> str:
    name = str(dtype).rsplit(".", 1)[-1]
    return _CPP_NAMES.get(name, name)


def _check_sdpa_inputs(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None,
                       dropout_p: float, is_causal: bool) -> None:
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(
            f"Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_cpp_name(query.dtype)} key.dtype: {_cpp_name(key.dtype)} and value.dtype: "
            f"{_cpp_name(value.dtype)} instead.")
    if min(query.dim(), key.dim(), value.dim()) < 2:
        raise RuntimeError(
            f"Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} "
            f"instead.")
    if attn_mask is not None and attn_mask.dtype not in (D.bool, query.dtype):
        raise RuntimeError(
            f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {_cpp_name(attn_mask.dtype)} and  query.dtype: "
            f"{_cpp_name(query.dtype)} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    if dropout_p > 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if not query.dtype.is_floating_point:
        raise RuntimeError(f"expected scalar type Float but found "
                           f"{query.dtype._legacy[:-len('Tensor')]}")


def _repeat_kv_heads(query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
    """Grouped-query attention: each key/value head serves a run of adjacent query heads."""
    q_heads, k_heads, v_heads = query.size(-3), key.size(-3), value.size(-3)
    if q_heads % k_heads or q_heads % v_heads:
        # The message ends mid-sentence, exactly as torch words it.
        raise RuntimeError("Number of heads in key and value must divide the number of heads "
                           "in ")
    if k_heads != q_heads:
        key = key.repeat_interleave(q_heads // k_heads, dim=-3)
    if v_heads != q_heads:
        value = value.repeat_interleave(q_heads // v_heads, dim=-3)
    return key, value


def _mask_as_bias(attn_mask: Tensor | None, is_causal: bool, query: Tensor,
                  key: Tensor) -> Tensor | None:
    """The additive score bias: 0 where a key takes part, -inf where it is masked out."""
    if is_causal:
        length, source = query.size(-2), key.size(-2)
        attn_mask = ops.ones(length, source, dtype=D.bool, device=query.device).tril()
    if attn_mask is None:
        return None
    if attn_mask.dim() < 2:
        d = max(attn_mask.dim(), 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-d}, {d - 1}], "
                         f"but got -2)")
    if attn_mask.dtype == D.bool:
        zeros = ops.zeros(tuple(attn_mask.shape), dtype=query.dtype, device=query.device)
        return zeros.masked_fill(attn_mask.logical_not(), float("-inf"))
    return attn_mask


def _add_bias(scores: Tensor, bias: Tensor) -> Tensor:
    """``scores + bias``; the bias may broadcast into the scores but not enlarge them."""
    full = ops.broadcast_shapes(tuple(scores.shape), tuple(bias.shape))
    if tuple(full) != tuple(scores.shape):
        fmt = ", ".join
        raise RuntimeError(f"output with shape [{fmt(map(str, scores.shape))}] doesn't match "
                           f"the broadcast shape [{fmt(map(str, full))}]")
    return scores + bias


def _safe_softmax(scores: Tensor) -> Tensor:
    """Softmax over the last dim whose all-``-inf`` rows give zeros instead of NaN.

    Such rows are set to 0 before the softmax (a uniform, finite intermediate) and zeroed
    after it, so neither the values nor the gradients pick up NaN.
    """
    blocked = ops.isneginf(scores).all(dim=-1, keepdim=True)
    if not bool(blocked.any()):
        return softmax(scores, -1)
    weights = softmax(scores.masked_fill(blocked, 0.0), -1)
    return weights.masked_fill(blocked, 0.0)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value`` over the last two dimensions.

    Shapes: query ``(..., L, E)``, key ``(..., S, E)``, value ``(..., S, Ev)``; output
    ``(..., L, Ev)``. ``attn_mask`` broadcasts to ``(..., L, S)``: boolean (True: attend) or
    a float bias added to the scores. ``is_causal`` masks keys after each query (the
    top-left-aligned lower triangle). ``scale`` defaults to ``1/sqrt(E)``. With
    ``enable_gqa`` the key/value heads (dim -3) are shared by groups of query heads.
    """
    _check_sdpa_inputs(query, key, value, attn_mask, dropout_p, is_causal)
    if enable_gqa:
        key, value = _repeat_kv_heads(query, key, value)
    factor = 1.0 / math.sqrt(query.size(-1)) if scale is None else scale
    bias = _mask_as_bias(attn_mask, is_causal, query, key)
    scores = ops.matmul(query * factor, key.transpose(-2, -1))
    if bias is None:
        weights = softmax(scores, -1)
    else:
        weights = _safe_softmax(_add_bias(scores, bias))
    if dropout_p > 0.0:
        weights = ops.dropout(weights, dropout_p, True)
    return ops.matmul(weights, value)


# -- masks shared by the attention modules ------------------------------------------------
def _none_or_dtype(mask: Tensor | None) -> D.dtype | None:
    if mask is None:
        return None
    if isinstance(mask, Tensor):
        return mask.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or ember.Tensor")


def _canonical_mask(mask: Tensor | None, mask_name: str, other_type: D.dtype | None,
                    other_name: str, target_type: D.dtype, check_other: bool = True
                    ) -> Tensor | None:
    """A boolean mask (True: masked out) as a float bias of ``target_type``; floats pass."""
    if mask is None:
        return None
    if mask.dtype != D.bool and not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use "
                      f"same type for both instead.", stacklevel=3)
    if mask.dtype == D.bool:
        zeros = ops.zeros(tuple(mask.shape), dtype=target_type, device=mask.device)
        return zeros.masked_fill(mask, float("-inf"))
    return mask



# -- multi-head attention -----------------------------------------------------------------
def _check_mha_shapes(query: Tensor, key: Tensor, value: Tensor,
                      key_padding_mask: Tensor | None, attn_mask: Tensor | None,
                      num_heads: int) -> bool:
    """Validate the input ranks; True for batched (3-D) input, False for unbatched (2-D)."""
    if query.dim() == 3:
        kind, rank, mask_rank = "batched (3-D)", 3, 2
    elif query.dim() == 2:
        kind, rank, mask_rank = "unbatched (2-D)", 2, 1
    else:
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.dim()}-D query tensor")
    if key.dim() != rank or value.dim() != rank:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {rank}-D but "
                             f"found {key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != mask_rank:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
                             f"{mask_rank}-D but found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or "
                                 f"3-D but found {attn_mask.dim()}-D tensor instead")
        if rank == 2 and attn_mask.dim() == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{attn_mask.shape}")
    return rank == 3


def _in_projection(query: Tensor, key: Tensor, value: Tensor, weights: tuple,
                   biases: tuple) -> tuple[Tensor, Tensor, Tensor]:
    """Project query, key and value with their own (weight, bias) pairs."""
    from .functional import linear
    return tuple(linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))


def _project_inputs(query: Tensor, key: Tensor, value: Tensor, in_proj_weight: Tensor | None,
                    in_proj_bias: Tensor | None, separate: bool,
                    separate_weights: tuple) -> tuple[Tensor, Tensor, Tensor]:
    biases = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
    if separate:
        for name, w in zip("qkv", separate_weights):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight "
                                     f"is None")
        return _in_projection(query, key, value, separate_weights, biases)
    if in_proj_weight is None:
        raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
    if query is key and key is value:  # self-attention: one product for all three
        from .functional import linear
        return linear(query, in_proj_weight, in_proj_bias).chunk(3, dim=-1)
    return _in_projection(query, key, value, in_proj_weight.chunk(3), biases)


def _batched_attn_mask(attn_mask: Tensor, size: tuple) -> Tensor:
    """A 2-D ``(L, S)`` or 3-D ``(N*heads, L, S)`` mask as 3-D; torch's shape errors."""
    batch_heads, tgt_len, src_len = size
    if attn_mask.dim() == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should "
                               f"be {(tgt_len, src_len)}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.dim() == 3:
        if tuple(attn_mask.shape) != size:
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should "
                               f"be {size}.")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")


def _heads_first(x: Tensor, static: Tensor | None, bsz: int, num_heads: int, head_dim: int,
                 which: str) -> Tensor:
    """``(S, N, E)`` to ``(N*heads, S, head_dim)``, or the given precomputed ``static_*``."""
    if static is None:
        return x.reshape(x.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if static.size(0) != bsz * num_heads:
        raise AssertionError(f"expecting static_{which}.size(0) of {bsz * num_heads}, but got "
                             f"{static.size(0)}")
    if static.size(2) != head_dim:
        raise AssertionError(f"expecting static_{which}.size(2) of {head_dim}, but got "
                             f"{static.size(2)}")
    return static


def _append_key_columns(k: Tensor, v: Tensor, extra_k: Tensor, extra_v: Tensor, dim: int,
                        masks: list) -> tuple[Tensor, Tensor]:
    """Append one key/value position; masks get a matching unmasked (0) column."""
    masks[:] = [None if m is None else pad(m, (0, 1)) for m in masks]
    return ops.cat([k, extra_k], dim=dim), ops.cat([v, extra_v], dim=dim)


def _check_mha_sizes(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int,
                     num_heads: int, separate: bool) -> int:
    embed_dim = query.shape[2]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if separate and tuple(key.shape[:2]) != tuple(value.shape[:2]):
        raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                             f"value's {value.shape[:2]}")
    if not separate and tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    return head_dim


def _merge_masks(attn_mask: Tensor | None, key_padding_mask: Tensor | None, bsz: int,
                 num_heads: int, src_len: int) -> Tensor | None:
    """Fold the ``(N, S)`` key padding bias into the ``(N*heads, L, S)`` attention bias."""
    if key_padding_mask is None:
        return attn_mask
    if tuple(key_padding_mask.shape) != (bsz, src_len):
        raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                             f"{key_padding_mask.shape}")
    per_head = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
    per_head = per_head.reshape(bsz * num_heads, 1, src_len)
    return per_head if attn_mask is None else attn_mask + per_head


def _attend_with_weights(q: Tensor, k: Tensor, v: Tensor, attn_mask: Tensor | None,
                         dropout_p: float) -> tuple[Tensor, Tensor]:
    """Plain softmax attention that also returns the weights (masked rows give NaN)."""
    q = q * math.sqrt(1.0 / float(q.shape[-1]))
    if attn_mask is None:
        scores = ops.bmm(q, k.transpose(-2, -1))
    else:
        scores = ops.baddbmm(attn_mask, q, k.transpose(-2, -1))
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = ops.dropout(weights, dropout_p, True)
    return ops.bmm(weights, v), weights


def _attend(q: Tensor, k: Tensor, v: Tensor, attn_mask: Tensor | None, dropout_p: float,
            is_causal: bool, bsz: int, num_heads: int) -> Tensor:
    """Attention through ``scaled_dot_product_attention``; ``(N*heads, L, head_dim)`` out."""
    if attn_mask is not None:
        if attn_mask.size(0) == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, attn_mask.size(-1))
    split = [t.reshape(bsz, num_heads, t.size(1), t.size(2)) for t in (q, k, v)]
    out = scaled_dot_product_attention(*split, attn_mask, dropout_p, is_causal)
    return out.reshape(bsz * num_heads, out.size(2), out.size(3))


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on sequence-first input: query ``(L, N, E)``, key/value
    ``(S, N, E_k)``/``(S, N, E_v)``, or unbatched ``(L, E)``/``(S, E)``.

    Returns the output ``(L, N, E)`` and, with ``need_weights``, the attention weights
    ``(N, L, S)`` averaged over heads (``(N, heads, L, S)`` when not ``average_attn_weights``),
    else None. Boolean masks mark positions that are masked out (True: ignore).
    """
    batched = _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    attn_mask, is_causal = _causal_hint(attn_mask, key_padding_mask, is_causal, need_weights,
                                        query.dtype)
    tgt_len, bsz, embed_dim = query.shape
    head_dim = _check_mha_sizes(query, key, value, embed_dim_to_check, num_heads,
                                use_separate_proj_weight)
    q, k, v = _project_inputs(query, key, value, in_proj_weight, in_proj_bias,
                              use_separate_proj_weight, (q_proj_weight, k_proj_weight,
                                                         v_proj_weight))
    if attn_mask is not None:
        attn_mask = _batched_attn_mask(attn_mask, (bsz * num_heads, tgt_len, key.shape[0]))
    masks = [attn_mask, key_padding_mask]
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static "
                                 f"{'key' if static_k is not None else 'value'}.")
        k, v = _append_key_columns(k, v, bias_k.repeat(1, bsz, 1), bias_v.repeat(1, bsz, 1),
                                   0, masks)
    elif bias_k is not None or bias_v is not None:
        raise AssertionError()
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads_first(k, static_k, bsz, num_heads, head_dim, "k")
    v = _heads_first(v, static_v, bsz, num_heads, head_dim, "v")
    if add_zero_attn:
        zeros = ops.zeros((bsz * num_heads, 1, head_dim), dtype=q.dtype, device=q.device)
        k, v = _append_key_columns(k, v, zeros, zeros, 1, masks)
    attn_mask = _merge_masks(*masks, bsz, num_heads, k.size(1))
    dropout_p = dropout_p if training else 0.0
    return _finish_mha(q, k, v, attn_mask, dropout_p, is_causal, need_weights,
                       average_attn_weights, out_proj_weight, out_proj_bias, batched,
                       (tgt_len, bsz, embed_dim, num_heads))


def _causal_hint(attn_mask: Tensor | None, key_padding_mask: Tensor | None, is_causal: bool,
                 need_weights: bool, dtype: D.dtype) -> tuple[Tensor | None, bool]:
    """Apply the ``is_causal`` hint: the mask is then known to be causal and may be dropped
    in favour of the causal attention path (only without weights and padding)."""
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        return None, True
    attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", dtype, check_other=False)
    return attn_mask, is_causal and key_padding_mask is None


def _finish_mha(q: Tensor, k: Tensor, v: Tensor, attn_mask: Tensor | None, dropout_p: float,
                is_causal: bool, need_weights: bool, average_attn_weights: bool,
                out_proj_weight: Tensor, out_proj_bias: Tensor | None, batched: bool,
                sizes: tuple) -> tuple[Tensor, Tensor | None]:
    """Attend, merge the heads, project out, and shape the results like the inputs."""
    from .functional import linear
    tgt_len, bsz, embed_dim, num_heads = sizes
    weights = None
    if need_weights:
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        out, weights = _attend_with_weights(q, k, v, attn_mask, dropout_p)
        weights = weights.reshape(bsz, num_heads, tgt_len, k.size(1))
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            weights = weights.squeeze(0)
    else:
        out = _attend(q, k, v, attn_mask, dropout_p, is_causal, bsz, num_heads)
    # (N*heads, L, hd) -> (L, N, E): heads of one batch element side by side.
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    return (out if batched else out.squeeze(1)), weights
