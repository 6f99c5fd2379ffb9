# %% q1_vocab
def build_vocab(text):
    """Character vocabulary of `text`: returns (stoi: dict[str, int], itos: list[str]), itos sorted."""
    itos = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(itos)}
    return stoi, itos


def encode(text, stoi):
    """String of N characters -> LongTensor of shape (N,) holding their ids."""
    return torch.tensor([stoi[ch] for ch in text], dtype=torch.long)


def decode(ids, itos):
    """Sequence of ids (tensor of shape (N,) or list of ints) -> string of N characters."""
    return "".join(itos[int(i)] for i in (ids.tolist() if isinstance(ids, torch.Tensor) else ids))


# %% q2_batches
def make_batches(ids, batch_size, seq_len):
    """ids: LongTensor (N,) -> list of (x, y), both LongTensor (B, T); y is x shifted by one step."""
    B, T = batch_size, seq_len
    L = (len(ids) - 1) // B
    inputs = ids[:-1][: B * L].long().reshape(B, L)
    targets = ids[1:][: B * L].long().reshape(B, L)
    batches = []
    for start in range(0, L - T + 1, T):
        batches.append((inputs[:, start:start + T], targets[:, start:start + T]))
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
        H = self.hidden_size
        gates = x @ self.weight_ih.t() + self.bias_ih + h @ self.weight_hh.t() + self.bias_hh   # (B, 4H)
        i_t = torch.sigmoid(gates[:, 0 * H:1 * H])
        f_t = torch.sigmoid(gates[:, 1 * H:2 * H])
        g_t = torch.tanh(gates[:, 2 * H:3 * H])
        o_t = torch.sigmoid(gates[:, 3 * H:4 * H])
        c_new = f_t * c + i_t * g_t
        h_new = o_t * torch.tanh(c_new)
        return h_new, c_new


# %% q3b_gradient_flow
def gradient_norms(cell, x):
    """x: (T, B, D) -> tensor (T,): entry d is ||dL/dh_{T-d}|| with L = h_T.sum(), from a zero state."""
    T = x.shape[0]
    with torch.enable_grad():
        state, hs = None, []
        for t in range(T):
            state = cell(x[t], state)
            h = state[0] if isinstance(state, tuple) else state
            h.retain_grad()
            hs.append(h)
        loss = hs[-1].sum()
        loss.backward()
    norms = []
    for d in range(T):
        norms.append(hs[T - 1 - d].grad.norm())
    return torch.stack(norms).detach()


# %% q4_model
class CharLSTM(nn.Module):
    """Embedding -> LSTM -> dropout -> linear: ids (B, T) -> logits (B, T, V) and the new state."""

    def __init__(self, vocab_size, embed_dim=64, hidden_size=256, num_layers=1, dropout=0.0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, state=None):
        """x: LongTensor (B, T); state: (h, c) each (num_layers, B, H) or None.

        Returns logits (B, T, V) and the new state (h, c), each (num_layers, B, H).
        """
        out, state = self.lstm(self.embed(x), state)
        logits = self.head(self.drop(out))
        return logits, state


# %% q5_train
def train_chunk(model, x, y, state, optimizer, clip=1.0):
    """x, y: LongTensor (B, T); state from the previous chunk or None -> (loss: float, new state)."""
    state = detach_state(state)
    model.train()
    logits, new_state = model(x, state)
    log_probs = F.log_softmax(logits, dim=-1)                      # (B, T, V)
    loss = -log_probs.gather(-1, y.unsqueeze(-1)).squeeze(-1).mean()
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item(), detach_state(new_state)


# %% q6_perplexity
def evaluate_perplexity(model, ids, seq_len=256):
    """ids: LongTensor (N,) read as one stream -> perplexity (float) over its N - 1 predictions."""
    device = next(model.parameters(), ids).device
    model.eval()
    inputs, targets = ids[:-1].to(device), ids[1:].to(device)
    total_nll, count, state = 0.0, 0, None
    with torch.no_grad():
        for start in range(0, inputs.numel(), seq_len):
            x = inputs[start:start + seq_len].unsqueeze(0)            # (1, T)
            y = targets[start:start + seq_len].unsqueeze(0)           # (1, T)
            logits, state = model(x, state)
            log_probs = F.log_softmax(logits.float(), dim=-1)
            total_nll += -log_probs.gather(-1, y.unsqueeze(-1)).double().sum().item()
            count += y.numel()
    return math.exp(total_nll / count)


# %% q7_sample
def sample(model, prompt, length, stoi, itos, temperature=1.0, top_k=None, generator=None):
    """Continue `prompt` by `length` sampled characters; returns the new characters (str)."""
    if temperature < 0:
        raise ValueError("temperature must be 0 or more")
    device = next(model.parameters(), torch.empty(0)).device
    model.eval()
    new_chars = []
    with torch.no_grad():
        x = encode(prompt, stoi).unsqueeze(0).to(device)               # (1, len(prompt))
        logits, state = model(x, None)
        for _ in range(length):
            last = logits[0, -1]                                       # (V,)
            if temperature == 0:
                next_id = int(torch.argmax(last))
            else:
                scaled = last / temperature
                if top_k is not None and 0 < top_k < scaled.numel():
                    kth_largest = torch.topk(scaled, top_k).values[-1]
                    scaled = scaled.masked_fill(scaled < kth_largest, float("-inf"))
                probs = F.softmax(scaled, dim=-1)
                next_id = int(torch.multinomial(probs, 1, generator=generator))
            new_chars.append(itos[next_id])
            logits, state = model(torch.tensor([[next_id]], dtype=torch.long, device=device), state)
    return "".join(new_chars)
