# %% q1_vocab
def build_vocab(text):
    """Character vocabulary of `text`: returns (stoi: dict[str, int], itos: list[str]), itos sorted."""
    chars = sorted(list(set(text)))
    stoi = {c: i for i, c in enumerate(chars)}
    return stoi, chars


def encode(text, stoi):
    """String of N characters -> LongTensor of shape (N,) holding their ids."""
    return torch.tensor([stoi[c] for c in text], dtype=torch.long)


def decode(ids, itos):
    """Sequence of ids (tensor of shape (N,) or list of ints) -> string of N characters."""
    return "".join([itos[int(i)] for i in ids])


# %% q2_batches
def make_batches(ids, batch_size, seq_len):
    """ids: LongTensor (N,) -> list of (x, y), both LongTensor (B, T); y is x shifted by one step."""
    L = (len(ids) - 1) // batch_size
    x = ids[:-1][: batch_size * L].reshape(batch_size, L).long()
    y = ids[1:][: batch_size * L].reshape(batch_size, L).long()
    batches = []
    for i in range(0, L - seq_len + 1, seq_len):
        batches.append((x[:, i : i + seq_len], y[:, i : i + seq_len]))
    return batches


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
        gates = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh  # (B, 4H)
        i, f, g, o = gates.chunk(4, dim=1)
        i = torch.sigmoid(i)
        f = torch.sigmoid(f)
        g = torch.tanh(g)
        o = torch.sigmoid(o)
        c_new = f * c + i * g
        h_new = o * torch.tanh(c_new)
        return h_new, c_new


# %% q3b_gradient_flow
def gradient_norms(cell, x):
    """x: (T, B, D) -> tensor (T,): entry d is ||dL/dh_{T-d}|| with L = h_T.sum(), from a zero state."""
    T = x.shape[0]
    hs = []
    state = None
    with torch.enable_grad():
        for t in range(T):
            state = cell(x[t], state)
            if isinstance(state, tuple):
                h = state[0]
            else:
                h = state
            h.retain_grad()
            hs.append(h)
        L = hs[-1].sum()
        L.backward()
    norms = []
    for d in range(T):
        norms.append(hs[T - 1 - d].grad.norm())
    return torch.stack(norms)


# %% q4_model
class CharLSTM(nn.Module):
    """Embedding -> LSTM -> dropout -> linear: ids (B, T) -> logits (B, T, V) and the new state."""

    def __init__(self, vocab_size, embed_dim=64, hidden_size=256, num_layers=1, dropout=0.0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, state=None):
        """x: LongTensor (B, T); state: (h, c) each (num_layers, B, H) or None.

        Returns logits (B, T, V) and the new state (h, c), each (num_layers, B, H).
        """
        emb = self.embedding(x)
        out, state = self.lstm(emb, state)
        logits = self.fc(self.dropout(out))
        return logits, state


# %% q5_train
def train_chunk(model, x, y, state, optimizer, clip=1.0):
    """x, y: LongTensor (B, T); state from the previous chunk or None -> (loss: float, new state)."""
    state = detach_state(state)
    model.train()
    logits, state = model(x, state)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item(), detach_state(state)


# %% q6_perplexity
def evaluate_perplexity(model, ids, seq_len=256):
    """ids: LongTensor (N,) read as one stream -> perplexity (float) over its N - 1 predictions."""
    model.eval()
    device = next(model.parameters()).device
    total_loss = 0.0
    total_count = 0
    state = None
    with torch.no_grad():
        for i in range(0, len(ids) - 1, seq_len):
            y = ids[i + 1 : i + 1 + seq_len]
            x = ids[i : i + len(y)]
            logits, state = model(x.unsqueeze(0).to(device), state)
            loss = F.cross_entropy(logits.squeeze(0), y.to(device), reduction="sum")
            total_loss += loss.item()
            total_count += len(y)
    return math.exp(total_loss / total_count)


# %% q7_sample
def sample(model, prompt, length, stoi, itos, temperature=1.0, top_k=None, generator=None):
    """Continue `prompt` by `length` sampled characters; returns the new characters (str)."""
    if temperature < 0:
        raise ValueError("temperature must be >= 0")
    model.eval()
    device = next(model.parameters()).device
    x = torch.tensor([[stoi[c] for c in prompt]], dtype=torch.long, device=device)
    result = []
    with torch.no_grad():
        logits, state = model(x)
        for _ in range(length):
            logits = logits[0, -1]
            if temperature == 0:
                next_id = torch.argmax(logits).item()
            else:
                logits = logits / temperature
                if top_k is not None and top_k > 0:
                    kth = torch.topk(logits, min(top_k, logits.numel())).values[-1]
                    logits[logits < kth] = float("-inf")
                probs = F.softmax(logits, dim=-1)
                next_id = torch.multinomial(probs, 1, generator=generator).item()
            result.append(itos[next_id])
            logits, state = model(torch.tensor([[next_id]], device=device), state)
    return "".join(result)
