# %% q1_vocab
def build_vocab(text):
    """Character vocabulary of `text`: returns (stoi: dict[str, int], itos: list[str]), itos sorted."""
    counts = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    itos = sorted(counts)
    stoi = {}
    for ch in itos:
        stoi[ch] = len(stoi)
    return stoi, itos


def encode(text, stoi):
    """String of N characters -> LongTensor of shape (N,) holding their ids."""
    return torch.LongTensor(list(map(lambda ch: stoi[ch], text)))


def decode(ids, itos):
    """Sequence of ids (tensor of shape (N,) or list of ints) -> string of N characters."""
    if isinstance(ids, torch.Tensor):
        ids = ids.view(-1).tolist()
    out = ""
    for k in ids:
        out = out + itos[k]
    return out


# %% q2_batches
def make_batches(ids, batch_size, seq_len):
    """ids: LongTensor (N,) -> list of (x, y), both LongTensor (B, T); y is x shifted by one step."""
    per_row = (ids.size(0) - 1) // batch_size
    used = per_row * batch_size
    source = ids[0:used].long().reshape(batch_size, per_row)        # row b: stream b of the inputs
    target = ids[1:used + 1].long().reshape(batch_size, per_row)    # the same streams, one step ahead
    n_full = per_row // seq_len
    if n_full == 0:
        return []
    xs = torch.split(source[:, :n_full * seq_len], seq_len, dim=1)
    ys = torch.split(target[:, :n_full * seq_len], seq_len, dim=1)
    return list(zip(xs, ys))


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
        # the equations one gate at a time: rows k*H .. (k+1)*H of each stacked weight
        W_i, W_f, W_g, W_o = (self.weight_ih[k * H:(k + 1) * H] for k in range(4))
        U_i, U_f, U_g, U_o = (self.weight_hh[k * H:(k + 1) * H] for k in range(4))
        b = self.bias_ih + self.bias_hh
        b_i, b_f, b_g, b_o = (b[k * H:(k + 1) * H] for k in range(4))
        i_gate = torch.sigmoid(torch.mm(x, W_i.t()) + torch.mm(h, U_i.t()) + b_i)
        f_gate = torch.sigmoid(torch.mm(x, W_f.t()) + torch.mm(h, U_f.t()) + b_f)
        g_gate = torch.tanh(torch.mm(x, W_g.t()) + torch.mm(h, U_g.t()) + b_g)
        o_gate = torch.sigmoid(torch.mm(x, W_o.t()) + torch.mm(h, U_o.t()) + b_o)
        c_next = f_gate * c + i_gate * g_gate
        h_next = o_gate * torch.tanh(c_next)
        return h_next, c_next


# %% q3b_gradient_flow
def gradient_norms(cell, x):
    """x: (T, B, D) -> tensor (T,): entry d is ||dL/dh_{T-d}|| with L = h_T.sum(), from a zero state."""
    with torch.enable_grad():
        hidden = []
        state = None
        for step in range(x.size(0)):
            state = cell(x[step], state)
            hidden.append(state[0] if isinstance(state, (tuple, list)) else state)
        loss = hidden[-1].sum()
        result = []
        for d in range(len(hidden)):
            # one backward pass per step: slow for long sequences, but each gradient is exactly dL/dh
            (grad,) = torch.autograd.grad(loss, hidden[len(hidden) - 1 - d], retain_graph=True)
            result.append(torch.linalg.norm(grad))
    return torch.stack(result).detach()


# %% q4_model
class CharLSTM(nn.Module):
    """Embedding -> LSTM -> dropout -> linear: ids (B, T) -> logits (B, T, V) and the new state."""

    def __init__(self, vocab_size, embed_dim=64, hidden_size=256, num_layers=1, dropout=0.0):
        super().__init__()
        self.embed = nn.Embedding(num_embeddings=vocab_size, embedding_dim=embed_dim)
        lstm_dropout = dropout if num_layers > 1 else 0.0
        self.lstm = nn.LSTM(input_size=embed_dim, hidden_size=hidden_size, num_layers=num_layers,
                            dropout=lstm_dropout, batch_first=True)
        self.drop = nn.Dropout(p=dropout)
        self.decoder = nn.Linear(in_features=hidden_size, out_features=vocab_size)

    def forward(self, x, state=None):
        """x: LongTensor (B, T); state: (h, c) each (num_layers, B, H) or None.

        Returns logits (B, T, V) and the new state (h, c), each (num_layers, B, H).
        """
        hidden_seq, new_state = self.lstm(self.embed(x), state)      # (B, T, H)
        return self.decoder(self.drop(hidden_seq)), new_state


# %% q5_train
def train_chunk(model, x, y, state, optimizer, clip=1.0):
    """x, y: LongTensor (B, T); state from the previous chunk or None -> (loss: float, new state)."""
    state = detach_state(state)
    model.train()
    optimizer.zero_grad(set_to_none=True)
    output, state = model(x, state)
    B, T, V = output.shape
    loss = nn.CrossEntropyLoss()(output.reshape(B * T, V), y.reshape(B * T))
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip)
    optimizer.step()
    return loss.item(), detach_state(state)


# %% q6_perplexity
def evaluate_perplexity(model, ids, seq_len=256):
    """ids: LongTensor (N,) read as one stream -> perplexity (float) over its N - 1 predictions."""
    device = next(model.parameters()).device
    model.eval()
    inputs, targets = ids[:-1], ids[1:]
    nll_sum = 0.0
    state = None
    with torch.no_grad():
        start = 0
        while start < inputs.numel():
            stop = min(start + seq_len, inputs.numel())
            chunk_in = inputs[start:stop].long().unsqueeze(0).to(device)
            chunk_out = targets[start:stop].long().to(device)
            logits, state = model(chunk_in, state)
            log_probs = torch.log_softmax(logits[0].double(), dim=-1)    # (T, V)
            picked = log_probs.gather(1, chunk_out.unsqueeze(1))          # (T, 1)
            nll_sum -= picked.sum().item()
            start = stop
    return math.exp(nll_sum / targets.numel())


# %% q7_sample
def sample(model, prompt, length, stoi, itos, temperature=1.0, top_k=None, generator=None):
    """Continue `prompt` by `length` sampled characters; returns the new characters (str)."""
    if temperature < 0:
        raise ValueError("a negative temperature has no meaning")
    device = next(model.parameters()).device
    model.eval()
    prompt_ids = torch.tensor([stoi[ch] for ch in prompt], device=device).unsqueeze(0)
    new_chars = []
    with torch.no_grad():
        logits, state = model(prompt_ids, None)
        last = logits[0, -1, :]
        for _ in range(length):
            if temperature == 0:
                token = int(last.argmax())
            else:
                scaled = last / temperature
                if top_k is not None and 0 < top_k < scaled.numel():
                    sorted_vals, _ = torch.sort(scaled, descending=True)
                    threshold = sorted_vals[top_k - 1]                    # ties with it stay in
                    scaled = scaled.masked_fill(scaled < threshold, float("-inf"))
                probs = torch.softmax(scaled, dim=0)
                token = int(torch.multinomial(probs, num_samples=1, generator=generator))
            new_chars.append(itos[token])
            logits, state = model(torch.tensor([[token]], device=device), state)
            last = logits[0, -1, :]
    return "".join(new_chars)
