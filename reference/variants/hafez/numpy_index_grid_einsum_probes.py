# %% q1_vocab
import numpy as np


def build_vocab(text):
    """Character vocabulary of `text`: returns (stoi: dict[str, int], itos: list[str]), itos sorted."""
    itos = [str(ch) for ch in np.unique(list(text))]       # np.unique sorts by code point, like sorted()
    stoi = dict((ch, k) for k, ch in enumerate(itos))
    return stoi, itos


def encode(text, stoi):
    """String of N characters -> LongTensor of shape (N,) holding their ids."""
    codes = np.fromiter((stoi[ch] for ch in text), dtype=np.int64, count=len(text))
    return torch.from_numpy(codes)


def decode(ids, itos):
    """Sequence of ids (tensor of shape (N,) or list of ints) -> string of N characters."""
    codes = ids.detach().cpu().numpy() if torch.is_tensor(ids) else np.asarray(ids, dtype=np.int64)
    return "".join(itos[k] for k in codes.ravel())


# %% q2_batches
def make_batches(ids, batch_size, seq_len):
    """ids: LongTensor (N,) -> list of (x, y), both LongTensor (B, T); y is x shifted by one step."""
    stream_len = (len(ids) - 1) // batch_size
    n_chunks = stream_len // seq_len
    row_starts = torch.arange(batch_size).unsqueeze(1) * stream_len    # (B, 1): where stream b begins in ids
    batches = []
    for k in range(n_chunks):
        cols = torch.arange(k * seq_len, (k + 1) * seq_len)            # (T,)
        index = row_starts + cols                                       # (B, T) positions of the inputs
        batches.append((ids[index].long(), ids[index + 1].long()))
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
        pre = torch.einsum("bd,gd->bg", x, self.weight_ih) + torch.einsum("bh,gh->bg", h, self.weight_hh)
        pre = (pre + self.bias_ih + self.bias_hh).view(-1, 4, self.hidden_size)   # (B, gate, H)
        i_t = pre[:, 0].sigmoid()
        f_t = pre[:, 1].sigmoid()
        g_t = pre[:, 2].tanh()
        o_t = pre[:, 3].sigmoid()
        c_t = f_t * c + i_t * g_t
        return o_t * c_t.tanh(), c_t


# %% q3b_gradient_flow
def gradient_norms(cell, x):
    """x: (T, B, D) -> tensor (T,): entry d is ||dL/dh_{T-d}|| with L = h_T.sum(), from a zero state."""
    with torch.enable_grad():
        state, probes = None, []
        for t in range(x.shape[0]):
            state = cell(x[t], state)
            h = state[0] if isinstance(state, tuple) else state
            # a zero added to h_t: dL/d(probe) is dL/dh_t, and it needs no gradient from the cell
            probe = torch.zeros_like(h, requires_grad=True)
            h = h + probe
            state = (h, state[1]) if isinstance(state, tuple) else h
            probes.append(probe)
        grads = torch.autograd.grad(h.sum(), probes)
    return torch.stack([g.norm() for g in reversed(grads)])


# %% q4_model
class CharLSTM(nn.Module):
    """Embedding -> LSTM -> dropout -> linear: ids (B, T) -> logits (B, T, V) and the new state."""

    def __init__(self, vocab_size, embed_dim=64, hidden_size=256, num_layers=1, dropout=0.0):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, embed_dim)
        self.core = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, batch_first=True,
                            dropout=0.0 if num_layers == 1 else dropout)
        self.dp = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, state=None):
        """x: LongTensor (B, T); state: (h, c) each (num_layers, B, H) or None.

        Returns logits (B, T, V) and the new state (h, c), each (num_layers, B, H).
        """
        h_all, (h_n, c_n) = self.core(self.tok(x), state)
        return self.out(self.dp(h_all)), (h_n, c_n)


# %% q5_train
def train_chunk(model, x, y, state, optimizer, clip=1.0):
    """x, y: LongTensor (B, T); state from the previous chunk or None -> (loss: float, new state)."""
    model.train()
    logits, new_state = model(x, detach_state(state))
    log_probs = torch.log_softmax(logits, dim=-1)                      # (B, T, V)
    loss = -log_probs.gather(2, y.unsqueeze(2)).mean()                  # mean NLL over B * T
    model.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return float(loss), detach_state(new_state)


# %% q6_perplexity
def evaluate_perplexity(model, ids, seq_len=256):
    """ids: LongTensor (N,) read as one stream -> perplexity (float) over its N - 1 predictions."""
    model.eval()
    device = next(model.parameters()).device
    stream = ids.long().to(device)
    n_pred = stream.numel() - 1
    total = 0.0
    state = None
    with torch.no_grad():
        for start in range(0, n_pred, seq_len):
            end = min(start + seq_len, n_pred)
            logits, state = model(stream[start:end].view(1, -1), state)
            total += F.nll_loss(F.log_softmax(logits[0], dim=-1), stream[start + 1:end + 1],
                                reduction="sum").item()
    return math.exp(total / n_pred)


# %% q7_sample
def sample(model, prompt, length, stoi, itos, temperature=1.0, top_k=None, generator=None):
    """Continue `prompt` by `length` sampled characters; returns the new characters (str)."""
    if temperature < 0:
        raise ValueError(f"temperature {temperature} is negative")
    model.eval()
    device = next(model.parameters()).device
    picked = []
    with torch.no_grad():
        inp = torch.tensor([stoi[ch] for ch in prompt], dtype=torch.long, device=device).view(1, -1)
        state = None
        for _ in range(length):
            logits, state = model(inp, state)
            scores = logits[0, -1]                                      # (V,)
            if temperature == 0:
                nxt = scores.topk(1).indices                            # greedy
            else:
                scores = scores / temperature
                if top_k is not None and 0 < top_k < scores.shape[0]:
                    floor = scores.topk(top_k).values.min()
                    scores = torch.where(scores >= floor, scores, torch.tensor(-math.inf, device=device))
                nxt = torch.multinomial(F.softmax(scores, dim=-1), 1, generator=generator)
            picked.append(int(nxt))
            inp = nxt.view(1, 1)
    return "".join(itos[k] for k in picked)
