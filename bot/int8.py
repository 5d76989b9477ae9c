"""Weight-only int8 linear layers for CPU decoding (imported only when a model is held in int8).

Decoding one token reads every weight once, so on a CPU its speed is the weights' bytes over the
memory bandwidth: int8 weights (one scale per output row) are half of bfloat16's bytes and a
quarter of float32's. The activations are never quantized, so a prompt's output does not
depend on the other prompts of its batch (torch's dynamic quantization scales activations per
batch, and made the packaged model repeat itself: BENCHMARKS.md, explanations). The product runs
in torch's int8-weight kernel, the one torchao uses on CPU, in bfloat16 (its float32 path was
20-50x slower on an AVX2 CPU); the rest of the model keeps its own dtype (bot/llm.py: bfloat16
where the CPU computes it natively, else float32, in which a prompt is read 2-3.5x faster).
"""

import torch

# Above this many rows (tokens x prompts) the weights are expanded for one matmul in the model's
# dtype: the int8 kernel read a 79-token prompt in 200 ms (AVX512-BF16), bfloat16 in 96 ms.
ROWS_PER_KERNEL = 16


class Int8Linear(torch.nn.Module):
    """y = x W^T + b, with W held as int8 rows times one scale per row."""

    weight: torch.Tensor
    scale: torch.Tensor
    bias: torch.Tensor | None

    def __init__(self, linear: torch.nn.Linear) -> None:
        super().__init__()
        weight = linear.weight.detach().float()
        scale = weight.abs().amax(dim=1).clamp(min=1e-8) / 127
        self.register_buffer("weight", torch.round(weight / scale[:, None]).to(torch.int8))
        self.register_buffer("scale", scale.to(torch.bfloat16))
        bias = None if linear.bias is None else linear.bias.detach().to(torch.bfloat16)
        self.register_buffer("bias", bias)
        self.out_features = linear.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1])
        if flat.shape[0] > ROWS_PER_KERNEL:  # reading a prompt: one matmul in x's dtype is faster
            weight = self.weight.to(x.dtype) * self.scale[:, None].to(x.dtype)
            y = torch.nn.functional.linear(flat, weight)
        else:  # decoding: a few rows, the int8 weights read once (the kernel is fast in bfloat16)
            bf16 = torch.bfloat16
            y = torch._weight_int8pack_mm(flat.to(bf16), self.weight, self.scale.to(bf16))
        y = y.to(x.dtype)
        if self.bias is not None:
            y = y + self.bias.to(x.dtype)
        return y.reshape(*x.shape[:-1], self.out_features)


def to_int8(model: torch.nn.Module) -> torch.nn.Module:
    """`model` with each nn.Linear replaced by an Int8Linear, in place."""
    for name, child in list(model.named_children()):
        if isinstance(child, torch.nn.Linear):
            setattr(model, name, Int8Linear(child))
        else:
            to_int8(child)
    return model
