# %% q1_vocab
def build_vocab(text):
    """Character vocabulary of `text`: returns (stoi: dict[str, int], itos: list[str]), itos sorted."""
    itos = []
    for ch in sorted(set(text)):
        itos.append(ch)
    stoi = {}
    for index, ch in enumerate(itos):
        stoi[ch] = index
    return stoi, itos


def encode(text, stoi):
    """String of N characters -> LongTensor of shape (N,) holding their ids."""
    ids = torch.empty(len(text), dtype=torch.long)
    for position, ch in enumerate(text):
        ids[position] = stoi[ch]
    return ids


def decode(ids, itos):
    """Sequence of ids (tensor of shape (N,) or list of ints) -> string of N characters."""
    if torch.is_tensor(ids):
        ids = ids.flatten().tolist()
    chars = [itos[i] for i in ids]
    return "".join(chars)


# %% q2_batches
def make_batches(ids, batch_size, seq_len):
    """ids: LongTensor (N,) -> list of (x, y), both LongTensor (B, T); y is x shifted by one step."""
    L = (ids.shape[0] - 1) // batch_size
    n_chunks = L // seq_len
    pairs = torch.stack([ids[:-1], ids[1:]]).long()[:, : batch_size * L].reshape(2, batch_size, L)
    pairs = pairs[:, :, : n_chunks * seq_len].reshape(2, batch_size, n_chunks, seq_len)
    pairs = pairs.permute(2, 0, 1, 3)                                   # (n_chunks, 2, B, T)
    return [(chunk[0].clone(), chunk[1].clone()) for chunk in pairs]


# %% q3_lstm_cell
class LSTMCellScratch(nn.Module):
    """One LSTM step with torch.nn.LSTMCell's parameters (same names, shapes and gate order)."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size))   # (4H, D)
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size))  # (4H, H)
        self.bias_ih = nn.Parameter(torch.empty(4 * hidden_size))                 # (4H,)
        self.bias_hh = nn.Parameter(torch.empty(4 * hidden_size))                 # (4H,)
        bound = 1 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x, state=None):
        """x: (B, D); state: (h, c) each (B, H) or None for zeros -> (h_new, c_new) each (B, H)."""
        if state is None:
            zeros = x.new_zeros(x.shape[0], self.hidden_size)
            state = (zeros, zeros)
        h, c = state
        # one matmul over [x, h] against [W_ih, W_hh], both biases added once
        weight = torch.cat([self.weight_ih, self.weight_hh], dim=1)          # (4H, D + H)
        gates = torch.addmm(self.bias_ih + self.bias_hh, torch.cat([x, h], dim=1), weight.t())
        gates = gates.view(x.shape[0], 4, self.hidden_size)                 # (B, 4, H) in order i, f, g, o
        i_t, f_t, o_t = torch.sigmoid(gates[:, [0, 1, 3]]).unbind(1)
        g_t = torch.tanh(gates[:, 2])
        c_new = f_t * c + i_t * g_t
        h_new = o_t * torch.tanh(c_new)
        return h_new, c_new


# %% q3b_gradient_flow
def gradient_norms(cell, x):
    """x: (T, B, D) -> tensor (T,): entry d is ||dL/dh_{T-d}|| with L = h_T.sum(), from a zero state."""
    T = x.shape[0]
    norms = torch.zeros(T, dtype=x.dtype, device=x.device)

    def recorder(d):
        def hook(grad):
            norms[d] = grad.detach().pow(2).sum().sqrt()               # the full gradient reaching h_{T-d}
        return hook

    with torch.enable_grad():
        state, last_h = None, None
        for t in range(T):
            out = cell(x[t], state)
            last_h = out[0] if isinstance(out, (tuple, list)) else out
            last_h.register_hook(recorder(T - 1 - t))
            state = out
        last_h.sum().backward()
    return norms


# %% q4_model
class CharLSTM(nn.Module):
    """Embedding -> LSTM -> dropout -> linear: ids (B, T) -> logits (B, T, V) and the new state."""

    def __init__(self, vocab_size, embed_dim=64, hidden_size=256, num_layers=1, dropout=0.0):
        super().__init__()
        lstm_dropout = 0.0
        if num_layers > 1:
            lstm_dropout = dropout
        self.encoder = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, dropout=lstm_dropout,
                            batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, state=None):
        """x: LongTensor (B, T); state: (h, c) each (num_layers, B, H) or None.

        Returns logits (B, T, V) and the new state (h, c), each (num_layers, B, H).
        """
        embedded = self.encoder(x)                                      # (B, T, E)
        if state is not None:
            state = tuple(state)
        hidden_seq, new_state = self.lstm(embedded, state)               # (B, T, H)
        return self.decoder(self.dropout(hidden_seq)), new_state


# %% q5_train
def train_chunk(model, x, y, state, optimizer, clip=1.0):
    """x, y: LongTensor (B, T); state from the previous chunk or None -> (loss: float, new state)."""
    start_state = detach_state(state)
    model.train()
    logits, new_state = model(x, start_state)
    # CrossEntropyLoss wants the classes on dim 1: (B, V, T) against (B, T); mean over all B*T
    loss = nn.CrossEntropyLoss()(logits.transpose(1, 2), y)
    loss_value = loss.item()
    model.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.grad is not None], clip)
    optimizer.step()
    # the values carry over; the next call cuts the graph at this boundary anyway
    return loss_value, detach_state(new_state)


# %% q6_perplexity
def evaluate_perplexity(model, ids, seq_len=256):
    """ids: LongTensor (N,) read as one stream -> perplexity (float) over its N - 1 predictions."""
    device = ids.device
    for p in model.parameters():
        device = p.device
        break
    model.eval()
    criterion = nn.CrossEntropyLoss()                                   # mean over the chunk
    chunk_means, chunk_sizes = [], []
    state = None
    n_predictions = ids.shape[0] - 1
    with torch.inference_mode():
        start = 0
        while start < n_predictions:
            stop = min(start + seq_len, n_predictions)
            x = ids[start:stop].to(device)[None]                         # (1, T)
            y = ids[start + 1:stop + 1].to(device)[None]                 # (1, T)
            logits, state = model(x, state)
            chunk_means.append(criterion(logits.transpose(1, 2).float(), y).item())
            chunk_sizes.append(stop - start)
            start = stop
    # weight each chunk by its number of characters: the mean NLL per character over the stream
    weighted = sum(m * n for m, n in zip(chunk_means, chunk_sizes))
    return float(math.exp(weighted / sum(chunk_sizes)))


# %% q7_sample
def sample(model, prompt, length, stoi, itos, temperature=1.0, top_k=None, generator=None):
    """Continue `prompt` by `length` sampled characters; returns the new characters (str)."""
    if temperature < 0:
        raise ValueError(f"negative temperature {temperature}")
    device = torch.device("cpu")
    for p in model.parameters():
        device = p.device
        break
    model.eval()

    def step(char_id, state):
        logits, state = model(torch.full((1, 1), char_id, dtype=torch.long, device=device), state)
        return logits[0, -1], state

    out = ""
    with torch.no_grad():
        state = None
        for ch in prompt:                                               # the prompt, one character at a time
            last, state = step(stoi[ch], state)
        for _ in range(length):
            if temperature == 0:
                next_id = last.argmax().item()
            else:
                logits = last
                if top_k is not None and top_k > 0:
                    k = min(top_k, logits.shape[0])
                    boundary = torch.sort(logits, descending=True).values[k - 1]
                    logits = logits.masked_fill(logits < boundary, -float("inf"))
                probs = torch.softmax(logits / temperature, dim=0)
                next_id = torch.multinomial(probs, num_samples=1, generator=generator).item()
            out += itos[next_id]
            last, state = step(next_id, state)
    return out
