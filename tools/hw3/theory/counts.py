"""Parameter counts of torch's recurrent layers, as the theory answers state them (item 1.1.3 (2))."""

WEIGHT_BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}  # one (H x (D + H)) block per gate or candidate


def recurrent_parameter_count(
    kind: str, input_size: int, hidden_size: int, num_layers: int = 1, biases: int = 2
) -> int:
    """Parameters of a unidirectional, stacked `kind` in {"rnn", "gru", "lstm"}.

    Per layer: G * (H * (D_l + H) + biases * H), with G = WEIGHT_BLOCKS[kind], D_l = input_size for
    layer 0 and hidden_size above it. biases=2 is torch's layout (b_ih and b_hh), biases=1 the
    textbook one. nn.LSTMCell / nn.GRUCell / nn.RNNCell are the num_layers=1 case.
    """
    if kind not in WEIGHT_BLOCKS:
        raise ValueError(f"kind must be one of {sorted(WEIGHT_BLOCKS)}, got {kind!r}")
    blocks, h = WEIGHT_BLOCKS[kind], hidden_size
    layer_inputs = [input_size] + [hidden_size] * (num_layers - 1)
    return sum(blocks * (h * (d + h) + biases * h) for d in layer_inputs)
