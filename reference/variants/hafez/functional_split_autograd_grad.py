# %% q1_vocab
def build_vocab(text):
    """Character vocabulary of `text`: returns (stoi: dict[str, int], itos: list[str]), itos sorted."""
    itos = sorted(dict.fromkeys(text))
    stoi = dict(zip(itos, range(len(itos))))
    return stoi, itos


def encode(text, stoi):
    """String of N characters -> LongTensor of shape (N,) holding their ids."""
    return torch.as_tensor(list(map(stoi.__getitem__, text)), dtype=torch.long).reshape(len(text))


def decode(ids, itos):
    """Sequence of ids (tensor of shape (N,) or list of ints) -> string of N characters."""
    return "".join(map(itos.__getitem__, torch.as_tensor(ids, dtype=torch.long).reshape(-1).tolist()))


# %% q2_batches
def make_batches(ids, batch_size, seq_len):
    """ids: LongTensor (N,) -> list of (x, y), both LongTensor (B, T); y is x shifted by one step."""
    n_cols = (ids.numel() - 1) // batch_size
    keep = batch_size * n_cols
    x_streams = ids[:-1].narrow(0, 0, keep).view(batch_size, n_cols).long()
    y_streams = ids[1:].narrow(0, 0, keep).view(batch_size, n_cols).long()
    if n_cols < seq_len:                                               # not even one full chunk
        return []
    # (B, L) -> (B, n_chunks, T): unfold with step T drops a last, shorter chunk by itself.
    x_chunks = x_streams.unfold(1, seq_len, seq_len)
    y_chunks = y_streams.unfold(1, seq_len, seq_len)
    return [(x_chunks[:, k].contiguous(), y_chunks[:, k].contiguous()) for k in range(x_chunks.shape[1])]


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
        gates = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        pre_i, pre_f, pre_g, pre_o = torch.split(gates, self.hidden_size, dim=-1)
        i_t, f_t, o_t = pre_i.sigmoid(), pre_f.sigmoid(), pre_o.sigmoid()
        g_t = pre_g.tanh()
        c_new = torch.addcmul(f_t * c, i_t, g_t)
        h_new = o_t * c_new.tanh()
        return h_new, c_new


# %% q3b_gradient_flow
def gradient_norms(cell, x):
    """x: (T, B, D) -> tensor (T,): entry d is ||dL/dh_{T-d}|| with L = h_T.sum(), from a zero state."""
    with torch.enable_grad():
        # a leaf input that needs a gradient keeps every h_t in the graph even for a frozen cell
        x = x.detach().requires_grad_(True)
        state, hs = None, []
        for x_t in x.unbind(0):
            state = cell(x_t, state)
            hs.append(state if isinstance(state, torch.Tensor) else state[0])
        grads = torch.autograd.grad(hs[-1].sum(), hs)
    norms = torch.stack([torch.linalg.vector_norm(g) for g in grads])   # entry t: ||dL/dh_{t+1}||
    return norms.flip(0)


# %% q4_model
class CharLSTM(nn.Module):
    """Embedding -> LSTM -> dropout -> linear: ids (B, T) -> logits (B, T, V) and the new state."""

    def __init__(self, vocab_size, embed_dim=64, hidden_size=256, num_layers=1, dropout=0.0):
        super().__init__()
        self.num_layers, self.hidden_size = num_layers, hidden_size
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn = nn.LSTM(input_size=embed_dim, hidden_size=hidden_size, num_layers=num_layers,
                           batch_first=True, dropout=(dropout if num_layers > 1 else 0.0))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, state=None):
        """x: LongTensor (B, T); state: (h, c) each (num_layers, B, H) or None.

        Returns logits (B, T, V) and the new state (h, c), each (num_layers, B, H).
        """
        B, T = x.shape
        if state is None:
            zeros = torch.zeros(self.num_layers, B, self.hidden_size, device=x.device,
                                dtype=self.fc.weight.dtype)
            state = (zeros, zeros.clone())
        out, (h, c) = self.rnn(self.embedding(x), state)               # out: (B, T, H)
        logits = self.fc(self.dropout(out).reshape(B * T, -1)).view(B, T, -1)
        return logits, (h, c)


# %% q5_train
def train_chunk(model, x, y, state, optimizer, clip=1.0):
    """x, y: LongTensor (B, T); state from the previous chunk or None -> (loss: float, new state)."""
    optimizer.zero_grad()
    model.train()
    logits, state = model(x, detach_state(state))
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip)
    optimizer.step()
    return float(loss.detach()), detach_state(state)


# %% q6_perplexity
def evaluate_perplexity(model, ids, seq_len=256):
    """ids: LongTensor (N,) read as one stream -> perplexity (float) over its N - 1 predictions."""
    params = list(model.parameters())
    device = params[0].device if params else ids.device
    model.eval()
    total = torch.zeros((), dtype=torch.float64)
    n_predicted = 0
    state = None
    with torch.no_grad():
        for x, y in zip(torch.split(ids[:-1], seq_len), torch.split(ids[1:], seq_len)):
            logits, state = model(x.view(1, -1).to(device), state)
            nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), y.to(device), reduction="sum")
            total += nll.double().cpu()
            n_predicted += y.numel()
    return float(torch.exp(total / n_predicted))


# %% q7_sample
def sample(model, prompt, length, stoi, itos, temperature=1.0, top_k=None, generator=None):
    """Continue `prompt` by `length` sampled characters; returns the new characters (str)."""
    if temperature < 0:
        raise ValueError("temperature must not be negative")
    params = list(model.parameters())
    device = params[0].device if params else torch.device("cpu")
    model.eval()
    with torch.no_grad():
        context = torch.tensor([[stoi[ch] for ch in prompt]], dtype=torch.long, device=device)
        logits, state = model(context)
        generated = []
        while len(generated) < length:
            last = logits[:, -1, :]                                    # (1, V)
            if temperature == 0:
                choice = last.argmax(dim=-1, keepdim=True)             # (1, 1)
            else:
                last = last / temperature
                if top_k is not None and top_k > 0:
                    k = min(int(top_k), last.shape[-1])
                    threshold = last.topk(k, dim=-1).values[:, -1:]   # (1, 1)
                    last = torch.where(last >= threshold, last, torch.full_like(last, -math.inf))
                choice = torch.multinomial(torch.softmax(last, dim=-1), num_samples=1, generator=generator)
            generated.append(int(choice.item()))
            if len(generated) < length:                                # nothing left to predict after the last one
                logits, state = model(choice.view(1, 1), state)
    return "".join(itos[i] for i in generated)
