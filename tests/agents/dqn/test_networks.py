import pytest
import torch
from gymnasium import spaces

from agents.dqn.networks import RowwiseExtractor


def test_rowwise_extractor_shares_one_layer_across_rows():
    extractor = RowwiseExtractor(spaces.MultiBinary((5, 9)), units=16)
    obs = torch.randint(0, 2, (3, 5, 9)).float()
    features = extractor(obs).reshape(3, 5, 16)
    permuted = extractor(obs[:, [4, 3, 2, 1, 0]]).reshape(3, 5, 16)
    torch.testing.assert_close(permuted, features[:, [4, 3, 2, 1, 0]])
    with pytest.raises(ValueError, match="obs_mode='onehot'"):
        RowwiseExtractor(spaces.MultiBinary(45))
