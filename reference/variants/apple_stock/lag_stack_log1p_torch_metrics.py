# %% q1_load_split
def load_prices(path):
    """Read the price CSV at `path`, one row per trading day.

    Returns: DataFrame of T rows sorted by date (oldest first), index 0..T-1, a `date` column of
    dtype datetime64 and a float `close` column (the other columns may stay).
    """
    raw = pd.read_csv(path, usecols=["date", "close"], parse_dates=["date"])
    return raw.sort_values("date").reset_index(drop=True)


def chronological_split(df, train_frac=0.70, val_frac=0.15):
    """Cut date-sorted rows into consecutive train, validation and test blocks (no shuffling).

    Inputs: df, T rows sorted by date.
    Returns: (train, val, test) DataFrames of n_train = int(train_frac * T) rows, then
    n_val = int(val_frac * T) rows, then the T - n_train - n_val remaining rows.
    """
    total = df.shape[0]
    n_train, n_val = int(train_frac * total), int(val_frac * total)
    n_test = total - n_train - n_val
    return df.head(n_train), df.iloc[n_train:n_train + n_val], df.tail(n_test) if n_test else df.iloc[0:0]


# %% q2_scale
class LogReturnScaler:
    """Standardised daily log returns, with statistics from the prices given to `fit`.

    fit(prices (T,)) -> self            sets mean_, std_ of log(prices[t+1] / prices[t])
    transform(prices (T,)) -> (T-1,)    float32 scaled returns
    inverse_transform(z (N,), last (N,)) -> (N,) dollars: last * exp(z * std_ + mean_)
    """

    def fit(self, prices):
        r = self._returns(prices)
        self.mean_ = float(np.sum(r) / r.size)
        self.std_ = float(np.sqrt(np.sum((r - self.mean_) ** 2) / r.size))   # population std
        return self

    def transform(self, prices):
        return np.float32((self._returns(prices) - self.mean_) / self.std_)

    def inverse_transform(self, z, last):
        z, last = np.ravel(np.asarray(z, dtype=np.float64)), np.ravel(np.asarray(last, dtype=np.float64))
        return np.exp(z * self.std_ + self.mean_) * last

    @staticmethod
    def _returns(prices):
        p = np.ravel(np.asarray(prices, dtype=np.float64))
        return np.log1p(np.diff(p) / p[:-1])        # log(p[t+1] / p[t]) = log(1 + relative change)


def scale_splits(train_close, val_close, test_close, window):
    """Fit a LogReturnScaler on the training closes only; scale the three periods.

    Inputs: 1-D arrays of closes in dollars, of lengths T_train, T_val, T_test; window W.
    Returns: (scaler, train_z, val_z, test_z) with
      train_z = scaler.transform(train_close)                                   shape (T_train - 1,)
      val_z   = scaler.transform(the W + 1 closes before val_close, then val_close)   (W + T_val,)
      test_z  = scaler.transform(the W + 1 closes before test_close, then test_close) (W + T_test,)
    """
    seen = np.asarray(train_close, dtype=np.float64)
    scaler = LogReturnScaler().fit(seen)
    scaled = [scaler.transform(seen)]
    for period in (val_close, test_close):
        period = np.asarray(period, dtype=np.float64)
        scaled.append(scaler.transform(np.concatenate([seen[-window - 1:], period])))
        seen = np.concatenate([seen, period])           # looking back is allowed, fitting is not
    return (scaler, *scaled)


# %% q3_windows
def make_windows(series, window, horizon=1):
    """Overlapping input windows and the value `horizon` steps after each.

    Inputs: series of shape (T,) or (T, F), numpy array or tensor; column 0 holds the target.
    Returns: X of shape (N, W, F) and y of shape (N, 1), float32 tensors, N = T - W - horizon + 1:
      X[i] = series[i : i + W]   (a 1-D series gives F = 1)
      y[i] = series[i + W - 1 + horizon, 0]
    """
    data = torch.as_tensor(series if torch.is_tensor(series) else np.asarray(series))
    data = data.detach().to("cpu", torch.float32)
    if data.ndim == 1:
        data = data.reshape(-1, 1)
    n = max(len(data) - window - horizon + 1, 0)
    # one slice per lag instead of one per window: column k of every window is data[k : k + n]
    X = torch.stack([data[lag:lag + n] for lag in range(window)], dim=1)        # (N, W, F)
    y = data[window - 1 + horizon:window - 1 + horizon + n, :1].clone()       # (N, 1)
    return X, y


# %% q4_model
class LSTMForecaster(nn.Module):
    """nn.LSTM(batch_first=True) followed by a linear head on the last time step.

    Inputs: x of shape (B, W, F). Returns: (B, 1), the scaled next value.
    Parameters: exactly those of nn.LSTM(F, H, num_layers) and nn.Linear(H, 1).
    """

    def __init__(self, n_features=1, hidden_size=64, num_layers=1):
        super().__init__()
        self.rnn = nn.LSTM(input_size=n_features, hidden_size=hidden_size, num_layers=num_layers,
                           batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1, :])


class GRUForecaster(nn.Module):
    """nn.GRU(batch_first=True) followed by a linear head on the last time step.

    Inputs: x of shape (B, W, F). Returns: (B, 1).
    Parameters: exactly those of nn.GRU(F, H, num_layers) and nn.Linear(H, 1).
    """

    def __init__(self, n_features=1, hidden_size=64, num_layers=1):
        super().__init__()
        self.rnn = nn.GRU(input_size=n_features, hidden_size=hidden_size, num_layers=num_layers,
                          batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1, :])


# %% q5_train
def train_model(model, train_xy, val_xy, steps, lr=1e-3, batch_size=64, eval_every=25,
                patience=None, device="cpu", progress=True):
    """Adam on MSE with validation early stopping; the returned model holds the best weights.

    Inputs: train_xy = (X, y), val_xy = (X_val, y_val): tensors of shapes (N, W, F) and (N, 1).
    Returns: (model, history): the model on `device` with the weights of the lowest validation
    loss, and history = {"step": [...], "train_loss": [...], "val_loss": [...],
    "best_step": int, "best_val_loss": float} with one entry per evaluation.
    """
    model.to(device)
    train_X, train_y = (t.to(device) for t in train_xy)
    val_X, val_y = (t.to(device) for t in val_xy)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    steps_list, train_losses, val_losses = [], [], []
    best = {"step": 0, "loss": float("inf"), "weights": copy.deepcopy(model.state_dict())}
    window_sum, window_count = 0.0, 0
    with tqdm(total=steps, disable=not progress) as progress_bar:
        for step in range(1, steps + 1):
            model.train()
            rows = torch.randint(0, train_X.size(0), (batch_size,))
            batch_loss = torch.mean((model(train_X[rows]) - train_y[rows]) ** 2)
            optimiser.zero_grad()
            batch_loss.backward()
            optimiser.step()
            window_sum += batch_loss.item()
            window_count += 1
            progress_bar.update()
            if step % eval_every != 0 and step != steps:
                continue
            model.eval()
            with torch.no_grad():
                val_loss = torch.mean((model(val_X) - val_y) ** 2).item()
            steps_list.append(step)
            train_losses.append(window_sum / window_count)
            val_losses.append(val_loss)
            window_sum, window_count = 0.0, 0
            if val_loss < best["loss"]:
                best = {"step": step, "loss": val_loss, "weights": copy.deepcopy(model.state_dict())}
            progress_bar.set_postfix(val_loss=round(val_loss, 5))
            evaluations_since_best = len(steps_list) - 1 - steps_list.index(best["step"])
            if patience is not None and 0 < evaluations_since_best and evaluations_since_best >= patience:
                break
    model.load_state_dict(best["weights"])
    history = {"step": steps_list, "train_loss": train_losses, "val_loss": val_losses,
               "best_step": best["step"], "best_val_loss": best["loss"]}
    return model, history


# %% q6_evaluate
def persistence_forecast(closes, start):
    """Tomorrow = today. Inputs: closes (T,). Returns: (T - start,) array, closes[start-1 : T-1]."""
    closes = np.asarray(closes, dtype=np.float64)
    return closes[np.arange(start, len(closes)) - 1]


def predict_prices(model, scaler, closes, start, window):
    """Dollar forecasts of closes[start:], each from the `window` returns before its day.

    Inputs: closes (T,) in dollars, start >= window + 1.
    Returns: (T - start,) float64 numpy array; entry k forecasts closes[start + k].
    """
    closes = np.asarray(closes, dtype=np.float64)
    device = next(model.parameters()).device
    inputs = torch.tensor(
        np.array([scaler.transform(closes[t - window - 1:t]) for t in range(start, len(closes))]),
        dtype=torch.float32,
    ).view(-1, window, 1)
    model.eval()
    with torch.no_grad():
        out = model(inputs.to(device)).view(-1).cpu().numpy()
    yesterday = closes[start - 1:len(closes) - 1]
    return np.asarray(scaler.inverse_transform(out, yesterday), dtype=np.float64)


def rmse(actual, predicted):
    """Root mean squared error of two (N,) arrays, a float."""
    a, p = torch.as_tensor(np.asarray(actual, dtype=np.float64)), torch.as_tensor(np.asarray(predicted, dtype=np.float64))
    return torch.sqrt(torch.mean((a - p) ** 2)).item()


def mae(actual, predicted):
    """Mean absolute error of two (N,) arrays, a float."""
    a, p = torch.as_tensor(np.asarray(actual, dtype=np.float64)), torch.as_tensor(np.asarray(predicted, dtype=np.float64))
    return torch.mean(torch.abs(a - p)).item()


def directional_accuracy(actual, predicted, previous):
    """Fraction of days where sign(predicted - previous) == sign(actual - previous); (N,) arrays."""
    a, p, prev = (torch.as_tensor(np.asarray(v, dtype=np.float64)) for v in (actual, predicted, previous))
    return torch.eq(torch.sign(p - prev), torch.sign(a - prev)).double().mean().item()


def evaluate_forecast(model, scaler, closes, start, window):
    """The model's and persistence's errors in dollars on days start..T-1.

    Returns: {"rmse", "mae", "persistence_rmse", "persistence_mae", "directional_accuracy"}, floats.
    """
    closes = np.asarray(closes, dtype=np.float64)
    observed = closes[start:]
    lstm = predict_prices(model, scaler, closes, start, window)
    naive = persistence_forecast(closes, start)
    scores = {}
    for name, forecast in (("", lstm), ("persistence_", naive)):
        scores[name + "rmse"] = rmse(observed, forecast)
        scores[name + "mae"] = mae(observed, forecast)
    scores["directional_accuracy"] = directional_accuracy(observed, lstm, naive)
    return scores


# %% q7_plot
def plot_forecast(dates, actual, predicted):
    """Actual vs forecast closes over `dates`, and the histogram of the errors in dollars.

    Inputs: dates (N,), actual (N,), predicted (N,). Returns: the matplotlib Figure.
    """
    actual, predicted = np.asarray(actual, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    fig, (over_time, spread) = plt.subplots(ncols=2, figsize=(12, 4), gridspec_kw={"width_ratios": [2, 1]})
    over_time.plot(dates, actual, color="black", linewidth=1, label="actual close")
    over_time.plot(dates, predicted, color="tab:orange", linewidth=1, label="LSTM forecast")
    over_time.legend(loc="upper left")
    spread.hist(predicted - actual, bins=40, color="tab:blue", alpha=0.8)
    spread.axvline(0, color="black", linewidth=0.8)
    spread.set_xlabel("error (USD)")
    fig.suptitle(f"Test period: RMSE {rmse(actual, predicted):.2f} USD")
    fig.tight_layout()
    return fig
