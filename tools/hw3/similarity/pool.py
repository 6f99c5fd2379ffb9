"""Answers written independently of the reference, for the synthetic class of `hw3 similarity --bench`.

Each TODO of each question is a list of steps, and each step lists interchangeable ways to write
it (other loops, other valid torch/numpy/pandas calls), none following the reference's structure.
A synthetic student composes an answer by picking one way per step, as independent students do:
they reach the same natural idioms one statement at a time, never the same whole answer (a pool
of whole answers would make a third of the class token-identical, which no detector may call
independent). Ways are written at the TODO's indentation; later steps may indent further.
Every way is correct: tests/similarity/test_pool.py runs each against the reference.
"""

from __future__ import annotations

import random
import re

# The stub's `# TODO ...` comment (possibly continued on more comment lines) and its `raise`.
TODO_AND_RAISE = re.compile(
    r"^(?P<indent>[ \t]*)# TODO.*\n(?:[ \t]*#.*\n)*[ \t]*raise NotImplementedError\(.*\)\n?",
    re.MULTILINE,
)

Step = tuple[str, ...]  # interchangeable ways to write one step

POOL: dict[
    str, dict[str, list[list[Step]]]
] = {  # assignment -> question -> one list of steps per TODO
    "hafez": {
        "q1_vocab": [
            [
                (
                    "chars = sorted(set(text))",
                    "chars = sorted({ch for ch in text})",
                    "chars = list(dict.fromkeys(sorted(text)))",
                ),
                (
                    "index = {ch: k for k, ch in enumerate(chars)}",
                    "index = dict(zip(chars, range(len(chars))))",
                    "index = {}\nfor k in range(len(chars)):\n    index[chars[k]] = k",
                ),
                ("return index, chars", "return (index, list(chars))"),
            ],
            [
                (
                    "return torch.tensor(list(map(stoi.__getitem__, text)), dtype=torch.long)",
                    "return torch.LongTensor([stoi[ch] for ch in text])",
                    "codes = [stoi[ch] for ch in text]\nreturn torch.as_tensor(codes, dtype=torch.int64)",
                )
            ],
            [
                (
                    'return "".join(map(lambda k: itos[int(k)], ids))',
                    'codes = ids.tolist() if torch.is_tensor(ids) else list(ids)\nreturn "".join(itos[k] for k in codes)',
                    'text = ""\nfor k in ids:\n    text += itos[int(k)]\nreturn text',
                )
            ],
        ],
        "q2_batches": [
            [
                (
                    "per_row = (ids.numel() - 1) // batch_size",
                    "usable = len(ids) - 1\nper_row = usable // batch_size",
                    "per_row = int((ids.shape[0] - 1) / batch_size)",
                ),
                (
                    "xs = ids[:-1][: per_row * batch_size].reshape(batch_size, per_row)\n"
                    "ys = ids[1:][: per_row * batch_size].reshape(batch_size, per_row)",
                    "xs = ids.narrow(0, 0, per_row * batch_size).view(batch_size, -1)\n"
                    "ys = ids.narrow(0, 1, per_row * batch_size).view(batch_size, -1)",
                    "xs = torch.stack(ids[: per_row * batch_size].chunk(batch_size))\n"
                    "ys = torch.stack([ids[r * per_row + 1:(r + 1) * per_row + 1] for r in range(batch_size)])",
                ),
                (
                    "pairs = []\n"
                    "for start in range(0, per_row - seq_len + 1, seq_len):\n"
                    "    pairs.append((xs[:, start:start + seq_len], ys[:, start:start + seq_len]))\n"
                    "return pairs",
                    "n_chunks = per_row // seq_len\n"
                    "return [(xs[:, k * seq_len:(k + 1) * seq_len], ys[:, k * seq_len:(k + 1) * seq_len]) "
                    "for k in range(n_chunks)]",
                    "used = per_row // seq_len * seq_len\n"
                    "return list(zip(xs[:, :used].split(seq_len, dim=1), ys[:, :used].split(seq_len, dim=1)))",
                ),
            ]
        ],
        "q3_lstm_cell": [
            [
                (
                    "pre = torch.addmm(self.bias_ih, x, self.weight_ih.t()) + torch.addmm(self.bias_hh, h, self.weight_hh.t())",
                    "pre = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)",
                    "both = torch.cat([x, h], dim=1)\n"
                    "pre = both @ torch.cat([self.weight_ih, self.weight_hh], dim=1).t() + (self.bias_ih + self.bias_hh)",
                ),
                (
                    "H = self.hidden_size\n"
                    "gi, gf, gg, go = pre[:, :H], pre[:, H:2 * H], pre[:, 2 * H:3 * H], pre[:, 3 * H:]",
                    "gi, gf, gg, go = pre.split(self.hidden_size, dim=-1)",
                    "gi, gf, gg, go = pre.view(x.shape[0], 4, self.hidden_size).unbind(1)",
                ),
                (
                    "c_next = torch.sigmoid(gf) * c + torch.sigmoid(gi) * torch.tanh(gg)",
                    "forget, inp = gf.sigmoid(), gi.sigmoid()\nc_next = forget * c + inp * gg.tanh()",
                    "c_next = torch.addcmul(torch.sigmoid(gf) * c, torch.sigmoid(gi), torch.tanh(gg))",
                ),
                (
                    "h_next = torch.sigmoid(go) * torch.tanh(c_next)\nreturn h_next, c_next",
                    "return go.sigmoid() * c_next.tanh(), c_next",
                    "out_gate = torch.sigmoid(go)\nreturn out_gate * torch.tanh(c_next), c_next",
                ),
            ]
        ],
        "q3b_gradient_flow": [
            [
                ("hs, state = [], None", "state = None\nhs = []"),
                (
                    "for t in range(x.shape[0]):\n"
                    "    state = cell(x[t], state)\n"
                    "    h_t = state[0] if isinstance(state, (tuple, list)) else state",
                    "for x_t in x.unbind(0):\n"
                    "    state = cell(x_t, state)\n"
                    "    h_t = state if torch.is_tensor(state) else state[0]",
                ),
                (
                    "    h_t.retain_grad()\n    hs.append(h_t)",
                    "    hs.append(h_t)\n    hs[-1].retain_grad()",
                ),
                (
                    "grads = torch.autograd.grad(hs[-1].sum(), hs)\n"
                    "return torch.stack([g.norm() for g in grads[::-1]]).detach()",
                    "hs[-1].sum().backward()\n"
                    "norms = [hs[t].grad.norm() for t in range(len(hs) - 1, -1, -1)]\n"
                    "return torch.tensor([float(n) for n in norms])",
                    "hs[-1].sum().backward()\n"
                    "return torch.stack([h_t.grad.norm() for h_t in hs]).flip(0).detach()",
                ),
            ]
        ],
        "q4_model": [
            [
                (
                    "self.embedding = nn.Embedding(vocab_size, embed_dim)",
                    "self.embedding = nn.Embedding(num_embeddings=vocab_size, embedding_dim=embed_dim)",
                ),
                (
                    "self.rnn = nn.LSTM(input_size=embed_dim, hidden_size=hidden_size, num_layers=num_layers,\n"
                    "                   dropout=dropout if num_layers > 1 else 0.0, batch_first=True)",
                    "between = 0.0 if num_layers == 1 else dropout\n"
                    "self.rnn = nn.LSTM(embed_dim, hidden_size, num_layers=num_layers, batch_first=True, dropout=between)",
                ),
                (
                    "self.dropout = nn.Dropout(p=dropout)\nself.fc = nn.Linear(hidden_size, vocab_size)",
                    "self.fc = nn.Linear(in_features=hidden_size, out_features=vocab_size)\nself.dropout = nn.Dropout(dropout)",
                ),
            ],
            [
                (
                    "emb = self.embedding(x)\nout, state = self.rnn(emb, state)",
                    "out, state = self.rnn(self.embedding(x), state)",
                ),
                (
                    "out = self.dropout(out)\nreturn self.fc(out), state",
                    "logits = self.fc(self.dropout(out))\nreturn logits, state",
                ),
            ],
        ],
        "q5_train": [
            [
                (
                    "if state is not None:\n    state = tuple(s.detach() for s in state)",
                    "state = None if state is None else (state[0].detach(), state[1].detach())",
                    "state = detach_state(state)",
                ),
                (
                    "model.train()\nlogits, state = model(x, state)",
                    "model.train(True)\nlogits, new_state = model(x, state)\nstate = new_state",
                ),
                (
                    "loss = F.cross_entropy(logits.transpose(1, 2), y)",
                    "loss = nn.CrossEntropyLoss()(logits.view(-1, logits.size(-1)), y.view(-1))",
                    "loss = F.nll_loss(F.log_softmax(logits, dim=-1).flatten(0, 1), y.flatten())",
                ),
                (
                    "optimizer.zero_grad()\nloss.backward()",
                    "for p in model.parameters():\n    p.grad = None\nloss.backward()",
                    "model.zero_grad()\nloss.backward()",
                ),
                (
                    "nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip)\noptimizer.step()",
                    "params = [p for p in model.parameters() if p.grad is not None]\n"
                    "torch.nn.utils.clip_grad_norm_(params, clip)\noptimizer.step()",
                ),
                (
                    "return float(loss.detach()), state",
                    "loss_value = loss.detach().cpu().item()\nreturn loss_value, state",
                ),
            ]
        ],
        "q6_perplexity": [
            [
                (
                    "model.eval()\ndev = next(model.parameters()).device",
                    "model.train(False)\ndev = next(iter(model.parameters())).device",
                ),
                ("total, count, state = 0.0, 0, None", "total = 0.0\ncount = 0\nstate = None"),
                (
                    "with torch.no_grad():\n    for pos in range(0, len(ids) - 1, seq_len):",
                    "with torch.inference_mode():\n    for pos in range(0, ids.numel() - 1, seq_len):",
                    "with torch.no_grad():\n    starts = range(0, len(ids) - 1, seq_len)\n    for pos in starts:",
                ),
                (
                    "        end = min(pos + seq_len, len(ids) - 1)\n"
                    "        inp, tgt = ids[pos:end].to(dev), ids[pos + 1:end + 1].to(dev)",
                    "        chunk = ids[pos:pos + seq_len + 1].to(dev)\n        inp, tgt = chunk[:-1], chunk[1:]",
                    "        tgt = ids[pos + 1:pos + seq_len + 1].to(dev)\n        inp = ids[pos:pos + len(tgt)].to(dev)",
                ),
                (
                    "        logits, state = model(inp.unsqueeze(0), state)",
                    "        logits, state = model(inp[None], state)",
                    "        logits, state = model(inp.view(1, -1), state)",
                ),
                (
                    '        total += F.cross_entropy(logits[0], tgt, reduction="sum").item()',
                    "        log_probs = F.log_softmax(logits.squeeze(0), dim=-1)\n"
                    "        total -= log_probs.gather(1, tgt[:, None]).sum().item()",
                    '        total += F.nll_loss(F.log_softmax(logits[0], -1), tgt, reduction="sum").item()',
                ),
                (
                    "        count += tgt.numel()",
                    "        count += len(tgt)",
                    "        count = count + tgt.shape[0]",
                ),
                (
                    "return math.exp(total / count)",
                    "return float(torch.tensor(total / count).exp())",
                    "mean_nll = total / max(count, 1)\nreturn math.exp(mean_nll)",
                ),
            ]
        ],
        "q7_sample": [
            [
                (
                    "model.eval()\ndev = next(model.parameters()).device",
                    "model.train(False)\ndev = next(iter(model.parameters())).device",
                ),
                (
                    "context = torch.tensor([[stoi[ch] for ch in prompt]], device=dev)",
                    "context = encode(prompt, stoi).view(1, -1).to(dev)",
                ),
                (
                    "def pick(scores):\n    if temperature == 0:\n        return int(scores.argmax())",
                    "def pick(scores):\n    if temperature <= 0:\n        return scores.argmax().item()",
                    "def pick(scores):\n    if not temperature:\n        return int(torch.argmax(scores))",
                ),
                (
                    "    scores = scores / temperature",
                    "    scores = scores.div(temperature)",
                    "    scores = scores * (1.0 / temperature)",
                ),
                (
                    "    if top_k is not None:\n"
                    "        kth = scores.topk(top_k).values.min()\n"
                    '        scores = torch.where(scores < kth, torch.full_like(scores, -float("inf")), scores)',
                    "    if top_k is not None:\n"
                    "        drop = torch.ones_like(scores, dtype=torch.bool)\n"
                    "        drop[scores.topk(top_k).indices] = False\n"
                    '        scores = scores.masked_fill(drop, float("-inf"))',
                    "    if top_k is not None:\n"
                    "        keep = torch.topk(scores, top_k).indices\n"
                    "        scores = torch.full_like(scores, -math.inf).scatter(0, keep, scores[keep])",
                ),
                (
                    "    probs = torch.softmax(scores, dim=-1)\n    return int(torch.multinomial(probs, 1, generator=generator))",
                    "    return torch.multinomial(scores.softmax(-1), num_samples=1, generator=generator).item()",
                    "    probs = F.softmax(scores, dim=-1)\n    return int(probs.multinomial(1, generator=generator))",
                ),
                ("out_ids, state = [], None", "state = None\nout_ids = []"),
                (
                    "with torch.no_grad():\n    logits, state = model(context, state)",
                    "with torch.inference_mode():\n    logits, state = model(context, None)",
                ),
                ("    for _ in range(length):", "    while len(out_ids) < length:"),
                (
                    "        next_id = pick(logits[0, -1])\n        out_ids.append(next_id)",
                    "        out_ids.append(pick(logits[:, -1, :].squeeze(0)))\n        next_id = out_ids[-1]",
                    "        next_id = pick(logits[0, logits.shape[1] - 1])\n        out_ids += [next_id]",
                ),
                (
                    "        logits, state = model(torch.tensor([[next_id]], device=dev), state)",
                    "        step_input = torch.full((1, 1), next_id, dtype=torch.long, device=dev)\n"
                    "        logits, state = model(step_input, state)",
                    "        logits, state = model(torch.tensor([next_id], device=dev).view(1, 1), state)",
                ),
                (
                    'return "".join(itos[k] for k in out_ids)',
                    'text = ""\nfor k in out_ids:\n    text += itos[k]\nreturn text',
                ),
            ]
        ],
    },
    "apple_stock": {
        "q1_load_split": [
            [
                (
                    'frame = pd.read_csv(path)\nframe["date"] = pd.to_datetime(frame["date"])',
                    'frame = pd.read_csv(path, parse_dates=["date"])',
                ),
                (
                    'return frame.sort_values(by="date", ignore_index=True)',
                    'frame = frame.sort_values("date")\nreturn frame.reset_index(drop=True)',
                    'return frame.set_index("date").sort_index().reset_index()',
                ),
            ],
            [
                (
                    "total = len(df)\nn_train = int(train_frac * total)",
                    "n_train = int(train_frac * len(df))",
                    "n_train = int(len(df) * train_frac)",
                ),
                (
                    "n_val = int(val_frac * len(df))",
                    "n_val = int(len(df) * val_frac)",
                    "n_val = int(val_frac * df.shape[0])",
                ),
                ("cut = n_train + n_val", "cut = sum((n_train, n_val))"),
                (
                    "return df.iloc[:n_train], df.iloc[n_train:cut], df.iloc[cut:]",
                    "train = df.iloc[0:n_train]\nval = df.iloc[n_train:cut]\nreturn train, val, df.iloc[cut:len(df)]",
                    "return tuple(df.iloc[a:b] for a, b in ((0, n_train), (n_train, cut), (cut, len(df))))",
                ),
            ],
        ],
        "q2_scale": [
            [
                (
                    "log_prices = np.log(np.asarray(prices, dtype=np.float64))\nreturns = log_prices[1:] - log_prices[:-1]",
                    "p = np.asarray(prices, dtype=float)\nreturns = np.log(p[1:] / p[:-1])",
                    "returns = np.diff(np.log(np.array(prices, dtype=np.float64)))",
                ),
                (
                    "self.mean_ = float(np.mean(returns))\nself.std_ = float(np.std(returns))\nreturn self",
                    "self.mean_, self.std_ = returns.mean().item(), returns.std().item()\nreturn self",
                    "self.mean_ = returns.mean()\nself.std_ = returns.std(ddof=0)\nreturn self",
                ),
            ],
            [
                (
                    "p = np.asarray(prices, dtype=np.float64)\n"
                    "return ((np.log(p[1:] / p[:-1]) - self.mean_) / self.std_).astype(np.float32)",
                    "returns = np.diff(np.log(np.asarray(prices, dtype=float)))\n"
                    "z = (returns - self.mean_) / self.std_\nreturn z.astype(np.float32)",
                    "log_prices = np.log(np.array(prices, dtype=np.float64))\n"
                    "return np.asarray((np.diff(log_prices) - self.mean_) / self.std_, dtype=np.float32)",
                )
            ],
            [
                (
                    "z = np.ravel(np.asarray(z, dtype=np.float64))\nlast = np.ravel(np.asarray(last, dtype=np.float64))",
                    "z = np.array(z, dtype=float).flatten()\nlast = np.array(last, dtype=float).flatten()",
                ),
                (
                    "return last * np.exp(self.mean_ + self.std_ * z)",
                    "returns = z * self.std_ + self.mean_\nreturn np.exp(returns) * last",
                ),
            ],
            [
                (
                    "train_close = np.asarray(train_close, dtype=np.float64)\n"
                    "val_close = np.asarray(val_close, dtype=np.float64)\n"
                    "test_close = np.asarray(test_close, dtype=np.float64)",
                    "train_close, val_close, test_close = (np.array(a, dtype=float) for a in (train_close, val_close, test_close))",
                ),
                (
                    "scaler = LogReturnScaler()\nscaler.fit(train_close)",
                    "scaler = LogReturnScaler().fit(train_close)",
                ),
                (
                    "history = np.concatenate([train_close, val_close])",
                    "history = np.hstack((train_close, val_close))",
                    "history = np.append(train_close, val_close)",
                ),
                (
                    "val_z = scaler.transform(history[len(train_close) - window - 1:])",
                    "prefix = train_close[len(train_close) - window - 1:]\n"
                    "val_z = scaler.transform(np.concatenate((prefix, val_close)))",
                ),
                (
                    "test_z = scaler.transform(np.concatenate([history[-(window + 1):], test_close]))",
                    "test_z = scaler.transform(np.concatenate((history[len(history) - window - 1:], test_close)))",
                ),
                (
                    "return scaler, scaler.transform(train_close), val_z, test_z",
                    "train_z = scaler.transform(train_close)\nreturn scaler, train_z, val_z, test_z",
                ),
            ],
        ],
        "q3_windows": [
            [
                (
                    "data = torch.tensor(np.asarray(series), dtype=torch.float32)\nif data.dim() == 1:\n    data = data.unsqueeze(1)",
                    "data = torch.as_tensor(series).float()\ndata = data.reshape(len(data), -1)",
                ),
                (
                    "count = data.shape[0] - window - horizon + 1",
                    "count = len(data) - (window + horizon) + 1",
                ),
                (
                    "X = torch.stack([data[i:i + window] for i in range(count)])",
                    "rows = torch.arange(window)[None, :] + torch.arange(count)[:, None]\nX = data[rows]",
                ),
                (
                    "y = torch.stack([data[i + window - 1 + horizon, :1] for i in range(count)])",
                    "first = window + horizon - 1\ny = data[first:first + count, 0].unsqueeze(-1)",
                    "y = data[window + horizon - 1:, 0:1][:count].clone()",
                ),
                ("return X, y", "return X.float(), y.float()"),
            ]
        ],
        "q4_model": [
            [
                (
                    "self.rnn = nn.LSTM(input_size=n_features, hidden_size=hidden_size, num_layers=num_layers, batch_first=True)",
                    "self.rnn = nn.LSTM(n_features, hidden_size, num_layers=num_layers, batch_first=True)",
                ),
                (
                    "self.head = nn.Linear(in_features=hidden_size, out_features=1)",
                    "self.head = nn.Linear(hidden_size, 1)",
                ),
            ],
            [
                (
                    "out, _ = self.rnn(x)\nreturn self.head(out[:, -1, :])",
                    "_, (h_n, _) = self.rnn(x)\nreturn self.head(h_n[-1])",
                    "outputs = self.rnn(x)[0]\nlast = outputs[:, -1]\nreturn self.head(last)",
                )
            ],
            [
                (
                    "self.rnn = nn.GRU(input_size=n_features, hidden_size=hidden_size, num_layers=num_layers, batch_first=True)",
                    "self.rnn = nn.GRU(n_features, hidden_size, num_layers=num_layers, batch_first=True)",
                ),
                (
                    "self.head = nn.Linear(in_features=hidden_size, out_features=1)",
                    "self.head = nn.Linear(hidden_size, 1)",
                ),
            ],
            [
                (
                    "out, _ = self.rnn(x)\nreturn self.head(out[:, -1, :])",
                    "_, h_n = self.rnn(x)\nreturn self.head(h_n[-1])",
                    "outputs = self.rnn(x)[0]\nreturn self.head(outputs.select(1, -1))",
                )
            ],
        ],
        "q5_train": [
            [
                (
                    "model = model.to(device)\n"
                    "X_train, y_train = train_xy[0].to(device), train_xy[1].to(device)\n"
                    "X_val, y_val = val_xy[0].to(device), val_xy[1].to(device)",
                    "X_train, y_train = [t.to(device) for t in train_xy]\n"
                    "X_val, y_val = [t.to(device) for t in val_xy]\n"
                    "model.to(device)",
                ),
                (
                    "optimizer = torch.optim.Adam(model.parameters(), lr=lr)\ncriterion = nn.MSELoss()",
                    'criterion = torch.nn.MSELoss(reduction="mean")\noptimizer = torch.optim.Adam(params=model.parameters(), lr=lr)',
                ),
                (
                    'history = {"step": [], "train_loss": [], "val_loss": [], "best_step": 0, "best_val_loss": float("inf")}',
                    'history = dict(step=[], train_loss=[], val_loss=[], best_step=0, best_val_loss=float("inf"))',
                ),
                (
                    "best_weights = copy.deepcopy(model.state_dict())\nbad_evals = 0\nlosses_since = []",
                    "best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}\n"
                    "bad_evals, losses_since = 0, []",
                ),
                (
                    'for step in tqdm(range(1, steps + 1), disable=not progress, desc="train"):',
                    "bar = tqdm(range(steps), disable=not progress, leave=False)\nfor i in bar:\n    step = i + 1",
                ),
                (
                    "    model.train()\n    idx = torch.randint(0, X_train.shape[0], (batch_size,), device=device)",
                    "    model.train(True)\n    idx = torch.randperm(len(X_train), device=device)[:batch_size]",
                ),
                (
                    "    loss = criterion(model(X_train[idx]), y_train[idx])",
                    "    pred = model(X_train[idx])\n    loss = criterion(pred, y_train[idx])",
                    "    xb, yb = X_train[idx], y_train[idx]\n    loss = criterion(model(xb), yb)",
                ),
                (
                    "    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()",
                    "    for p in model.parameters():\n        p.grad = None\n    loss.backward()\n    optimizer.step()",
                ),
                (
                    "    losses_since.append(loss.item())",
                    "    losses_since.append(float(loss.detach()))",
                ),
                (
                    "    if step % eval_every != 0 and step != steps:\n        continue",
                    "    if not (step % eval_every == 0 or step == steps):\n        continue",
                ),
                (
                    "    model.eval()\n    with torch.no_grad():\n        val_loss = criterion(model(X_val), y_val).item()",
                    "    model.train(False)\n    with torch.inference_mode():\n        val_loss = float(criterion(model(X_val), y_val))",
                ),
                ('    history["step"].append(step)', '    history["step"] += [step]'),
                (
                    '    history["train_loss"].append(sum(losses_since) / len(losses_since))',
                    '    history["train_loss"].append(float(np.mean(losses_since)))',
                ),
                (
                    '    history["val_loss"].append(val_loss)\n    losses_since = []',
                    '    history["val_loss"] += [val_loss]\n    losses_since = []',
                    '    history["val_loss"].append(val_loss)\n    losses_since.clear()',
                ),
                (
                    '    if val_loss < history["best_val_loss"]:',
                    '    improved = val_loss < history["best_val_loss"]\n    if improved:',
                ),
                (
                    "        history.update(best_step=step, best_val_loss=val_loss)",
                    '        history["best_step"], history["best_val_loss"] = step, val_loss',
                    '        history["best_step"] = step\n        history["best_val_loss"] = val_loss',
                ),
                (
                    "        best_weights = copy.deepcopy(model.state_dict())\n        bad_evals = 0",
                    "        best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}\n        bad_evals = 0",
                ),
                (
                    "    else:\n        bad_evals += 1",
                    "    else:\n        bad_evals = bad_evals + 1",
                ),
                (
                    "    if patience is not None and bad_evals >= patience:\n        break",
                    "    if patience is not None and bad_evals == patience:\n        break",
                ),
                (
                    "model.load_state_dict(best_weights)\nreturn model, history",
                    "model.load_state_dict(best_weights)\nmodel.eval()\nreturn model, history",
                ),
            ]
        ],
        "q6_evaluate": [
            [
                (
                    "closes = np.asarray(closes, dtype=float)\nreturn closes[start - 1:len(closes) - 1]",
                    "return np.array(closes, dtype=np.float64)[start - 1:-1].copy()",
                    "values = np.asarray(closes, dtype=np.float64)\nreturn np.roll(values, 1)[start:]",
                )
            ],
            [
                (
                    "closes = np.asarray(closes, dtype=np.float64)\ndev = next(model.parameters()).device",
                    "closes = np.array(closes, dtype=float)\ndev = next(iter(model.parameters())).device",
                ),
                (
                    "windows = [scaler.transform(closes[t - window - 1:t]) for t in range(start, len(closes))]\n"
                    "X = torch.tensor(np.array(windows), dtype=torch.float32).unsqueeze(-1).to(dev)",
                    "X = torch.stack([torch.from_numpy(scaler.transform(closes[t - window - 1:t])) "
                    "for t in range(start, len(closes))])\n"
                    "X = X.float().reshape(len(X), window, 1).to(dev)",
                    "z_all = scaler.transform(closes)\n"
                    "X = np.stack([z_all[t - window - 1:t - 1] for t in range(start, len(closes))])\n"
                    "X = torch.as_tensor(X, dtype=torch.float32)[..., None].to(dev)",
                ),
                (
                    "model.eval()\nwith torch.no_grad():\n    z = model(X).squeeze(-1).cpu().numpy()",
                    "model.train(False)\nwith torch.inference_mode():\n    z = model(X)[:, 0].detach().cpu().numpy()",
                ),
                (
                    "return scaler.inverse_transform(z, closes[start - 1:-1]).astype(np.float64)",
                    "previous = closes[start - 1:len(closes) - 1]\n"
                    "return np.asarray(scaler.inverse_transform(z, previous), dtype=np.float64)",
                ),
            ],
            [
                (
                    "err = np.asarray(actual, dtype=float) - np.asarray(predicted, dtype=float)\n"
                    "return float(np.sqrt((err ** 2).mean()))",
                    "a, p = np.asarray(actual, dtype=np.float64), np.asarray(predicted, dtype=np.float64)\n"
                    "return float(np.linalg.norm(a - p) / np.sqrt(len(a)))",
                    "return float(np.mean(np.square(np.subtract(actual, predicted, dtype=np.float64))) ** 0.5)",
                )
            ],
            [
                (
                    "err = np.asarray(actual, dtype=float) - np.asarray(predicted, dtype=float)\n"
                    "return float(np.abs(err).mean())",
                    "return float(np.mean(np.abs(np.subtract(actual, predicted, dtype=np.float64))))",
                    "a, p = np.asarray(actual, dtype=np.float64), np.asarray(predicted, dtype=np.float64)\n"
                    "return float(np.sum(np.abs(a - p)) / len(a))",
                )
            ],
            [
                (
                    "actual, predicted, previous = (np.asarray(v, dtype=float) for v in (actual, predicted, previous))\n"
                    "return float((np.sign(predicted - previous) == np.sign(actual - previous)).mean())",
                    "hits = np.sign(np.subtract(predicted, previous)) == np.sign(np.subtract(actual, previous))\n"
                    "return float(np.count_nonzero(hits) / hits.size)",
                )
            ],
            [
                (
                    "closes = np.asarray(closes, dtype=np.float64)\nactual = closes[start:]",
                    "closes = np.array(closes, dtype=float)\nactual = closes[start:len(closes)]",
                ),
                (
                    "naive = persistence_forecast(closes, start)\nforecast = predict_prices(model, scaler, closes, start, window)",
                    "forecast = predict_prices(model, scaler, closes, start, window)\nnaive = persistence_forecast(closes, start)",
                ),
                (
                    'return {"rmse": rmse(actual, forecast), "mae": mae(actual, forecast),\n'
                    '        "persistence_rmse": rmse(actual, naive), "persistence_mae": mae(actual, naive),\n'
                    '        "directional_accuracy": directional_accuracy(actual, forecast, naive)}',
                    "return dict(rmse=rmse(actual, forecast), mae=mae(actual, forecast),\n"
                    "            persistence_rmse=rmse(actual, naive), persistence_mae=mae(actual, naive),\n"
                    "            directional_accuracy=directional_accuracy(actual, forecast, naive))",
                    "result = {}\n"
                    'result["rmse"], result["mae"] = rmse(actual, forecast), mae(actual, forecast)\n'
                    'result["persistence_rmse"], result["persistence_mae"] = rmse(actual, naive), mae(actual, naive)\n'
                    'result["directional_accuracy"] = directional_accuracy(actual, forecast, naive)\n'
                    "return result",
                ),
            ],
        ],
    },
}


def answered(stub_source: str, bodies: list[str]) -> str:
    """The stub cell with its TODO prompts (`# TODO` ... `raise NotImplementedError`) replaced by `bodies`, in order.

    Each body is written at indentation zero and indented like the prompt it replaces.
    """
    matches = list(TODO_AND_RAISE.finditer(stub_source))
    if len(matches) != len(bodies):
        raise ValueError(
            f"the stub cell has {len(matches)} TODO prompt(s), {len(bodies)} bodies were given"
        )
    out, at = [], 0
    for match, body in zip(matches, bodies):
        indent = match["indent"]
        out.append(stub_source[at : match.start()])
        out.append(
            "".join(
                indent + line + "\n" if line.strip() else "\n"
                for line in body.strip("\n").splitlines()
            )
        )
        at = match.end()
    out.append(stub_source[at:])
    return "".join(out)


def compose(todos: list[list[Step]], choose) -> list[str]:
    """One body per TODO: the way `choose(step index, step)` picks for each step, joined."""
    bodies, index = [], 0
    for steps in todos:
        lines = []
        for step in steps:
            lines.append(choose(index, step))
            index += 1
        bodies.append("\n".join(lines))
    return bodies


def independent_answers(
    name: str, stub_cells: dict[str, list[str]], rng: random.Random
) -> dict[str, list[str]]:
    """{question: answer cell sources} of one independent student of assignment `name`.

    `stub_cells` holds the released stub's answer cells per question (the TODOs are in the last).
    """
    answers = {}
    for question, todos in POOL[name].items():
        sources = list(stub_cells[question])
        sources[-1] = answered(sources[-1], compose(todos, lambda _, step: rng.choice(step)))
        answers[question] = sources
    return answers
