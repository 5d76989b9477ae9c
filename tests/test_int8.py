import pytest
import torch

from bot.int8 import ROWS_PER_KERNEL, Int8Linear, to_int8


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("rows", [1, ROWS_PER_KERNEL + 24])  # decoding, then reading a prompt
def test_an_int8_layer_computes_what_its_linear_layer_did_in_the_models_dtype(dtype, rows):
    torch.manual_seed(0)
    linear = torch.nn.Linear(96, 48)
    x = torch.randn(2, rows, 96)
    expected = linear(x)
    y = Int8Linear(linear).to(dtype)(x.to(dtype))  # the rest of the model: dtype
    assert y.dtype == dtype and y.shape == expected.shape
    error = (y.float() - expected).norm() / expected.norm()
    assert error < 0.02, error


def test_every_linear_layer_of_a_model_becomes_int8_and_nothing_else_changes():
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Sequential(
        torch.nn.LayerNorm(8), torch.nn.Linear(8, 4)))  # fmt: skip
    to_int8(model)
    kinds = [type(m).__name__ for m in model.modules()]
    assert kinds.count("Int8Linear") == 2 and "Linear" not in kinds and "LayerNorm" in kinds
    assert model(torch.randn(3, 8)).shape == (3, 4)
