# %% q1_load_split
def load_prices(path):
    """Read the price CSV at `path`, one row per trading day.

    Returns: DataFrame of T rows sorted by date (oldest first), index 0..T-1, a `date` column of
    dtype datetime64 and a float `close` column (the other columns may stay).
    """
    df = pd.read_csv(path, parse_dates=["date"])
    return df.sort_values("date").reset_index(drop=True)


def chronological_split(df, train_frac=0.70, val_frac=0.15):
    """Cut date-sorted rows into consecutive train, validation and test blocks (no shuffling).

    Inputs: df, T rows sorted by date.
    Returns: (train, val, test) DataFrames of n_train = int(train_frac * T) rows, then
    n_val = int(val_frac * T) rows, then the T - n_train - n_val remaining rows.
    """
    T = len(df)
    n_train = int(train_frac * T)
    n_val = int(val_frac * T)
    return df.iloc[:n_train], df.iloc[n_train:n_train + n_val], df.iloc[n_train + n_val:]


# %% q2_scale
class LogReturnScaler:
    """Standardised daily log returns, with statistics from the prices given to `fit`.

    fit(prices (T,)) -> self            sets mean_, std_ of log(prices[t+1] / prices[t])
    transform(prices (T,)) -> (T-1,)    float32 scaled returns
    inverse_transform(z (N,), last (N,)) -> (N,) dollars: last * exp(z * std_ + mean_)
    """

    def fit(self, prices):
        returns = np.diff(np.log(np.asarray(prices, dtype=np.float64).reshape(-1)))
        self.mean_ = float(np.mean(returns))
        self.std_ = float(np.std(returns))
        return self

    def transform(self, prices):
        returns = np.diff(np.log(np.asarray(prices, dtype=np.float64).reshape(-1)))
        return ((returns - self.mean_) / self.std_).astype(np.float32)

    def inverse_transform(self, z, last):
        z = np.asarray(z, dtype=np.float64).reshape(-1)
        last = np.asarray(last, dtype=np.float64).reshape(-1)
        return last * np.exp(z * self.std_ + self.mean_)


def scale_splits(train_close, val_close, test_close, window):
    """Fit a LogReturnScaler on the training closes only; scale the three periods.

    Inputs: 1-D arrays of closes in dollars, of lengths T_train, T_val, T_test; window W.
    Returns: (scaler, train_z, val_z, test_z) with
      train_z = scaler.transform(train_close)                                   shape (T_train - 1,)
      val_z   = scaler.transform(the W + 1 closes before val_close, then val_close)   (W + T_val,)
      test_z  = scaler.transform(the W + 1 closes before test_close, then test_close) (W + T_test,)
    """
    train_close = np.asarray(train_close, dtype=np.float64)
    val_close = np.asarray(val_close, dtype=np.float64)
    test_close = np.asarray(test_close, dtype=np.float64)
    scaler = LogReturnScaler().fit(train_close)
    before_val = train_close[-(window + 1):]
    before_test = np.concatenate([train_close, val_close])[-(window + 1):]
    train_z = scaler.transform(train_close)
    val_z = scaler.transform(np.concatenate([before_val, val_close]))
    test_z = scaler.transform(np.concatenate([before_test, test_close]))
    return scaler, train_z, val_z, test_z


# %% q3_windows
def make_windows(series, window, horizon=1):
    """Overlapping input windows and the value `horizon` steps after each.

    Inputs: series of shape (T,) or (T, F), numpy array or tensor; column 0 holds the target.
    Returns: X of shape (N, W, F) and y of shape (N, 1), float32 tensors, N = T - W - horizon + 1:
      X[i] = series[i : i + W]   (a 1-D series gives F = 1)
      y[i] = series[i + W - 1 + horizon, 0]
    """
    if isinstance(series, torch.Tensor):
        data = series.detach().to(torch.float32)
    else:
        data = torch.tensor(np.asarray(series), dtype=torch.float32)
    if data.dim() == 1:
        data = data.unsqueeze(1)                                       # (T, 1)
    T, F = data.shape
    N = T - window - horizon + 1
    if N <= 0:
        return torch.zeros(0, window, F), torch.zeros(0, 1)
    X = torch.stack([data[i:i + window] for i in range(N)])            # (N, W, F)
    y = torch.stack([data[i + window - 1 + horizon, 0:1] for i in range(N)])   # (N, 1)
    return X.clone(), y.clone()


# %% q4_model
class LSTMForecaster(nn.Module):
    """nn.LSTM(batch_first=True) followed by a linear head on the last time step.

    Inputs: x of shape (B, W, F). Returns: (B, 1), the scaled next value.
    Parameters: exactly those of nn.LSTM(F, H, num_layers) and nn.Linear(H, 1).
    """

    def __init__(self, n_features=1, hidden_size=64, num_layers=1):
        super().__init__()
        self.rnn = nn.LSTM(n_features, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        out, _ = self.rnn(x)                                           # (B, W, H)
        return self.head(out[:, -1, :])


class GRUForecaster(nn.Module):
    """nn.GRU(batch_first=True) followed by a linear head on the last time step.

    Inputs: x of shape (B, W, F). Returns: (B, 1).
    Parameters: exactly those of nn.GRU(F, H, num_layers) and nn.Linear(H, 1).
    """

    def __init__(self, n_features=1, hidden_size=64, num_layers=1):
        super().__init__()
        self.rnn = nn.GRU(n_features, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1, :])


# %% q5_train
def train_model(model, train_xy, val_xy, steps, lr=1e-3, batch_size=64, eval_every=25,
                patience=None, device="cpu", progress=True):
    """Adam on MSE with validation early stopping; the returned model holds the best weights.

    Inputs: train_xy = (X, y), val_xy = (X_val, y_val): tensors of shapes (N, W, F) and (N, 1).
    Returns: (model, history): the model on `device` with the weights of the lowest validation
    loss, and history = {"step": [...], "train_loss": [...], "val_loss": [...],
    "best_step": int, "best_val_loss": float} with one entry per evaluation.
    """
    X, y = (t.to(device) for t in train_xy)
    X_val, y_val = (t.to(device) for t in val_xy)
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    history = {"step": [], "train_loss": [], "val_loss": [], "best_step": 0, "best_val_loss": float("inf")}
    best_state = copy.deepcopy(model.state_dict())
    running, n_running, bad_evals = 0.0, 0, 0
    bar = tqdm(range(1, steps + 1), disable=not progress, desc="training")
    for step in bar:
        model.train()
        idx = torch.randint(0, X.shape[0], (batch_size,))
        loss = loss_fn(model(X[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item()
        n_running += 1
        if step % eval_every == 0 or step == steps:
            model.eval()
            with torch.no_grad():
                val_loss = loss_fn(model(X_val), y_val).item()
            history["step"].append(step)
            history["train_loss"].append(running / n_running)
            history["val_loss"].append(val_loss)
            running, n_running = 0.0, 0
            bar.set_postfix(val_loss=f"{val_loss:.4f}", best=f"{min(val_loss, history['best_val_loss']):.4f}")
            if val_loss < history["best_val_loss"]:
                history["best_step"], history["best_val_loss"] = step, val_loss
                best_state = copy.deepcopy(model.state_dict())
                bad_evals = 0
            else:
                bad_evals += 1
                if patience is not None and bad_evals >= patience:
                    break
    bar.close()
    model.load_state_dict(best_state)
    return model, history


# %% q6_evaluate
def persistence_forecast(closes, start):
    """Tomorrow = today. Inputs: closes (T,). Returns: (T - start,) array, closes[start-1 : T-1]."""
    closes = np.asarray(closes, dtype=np.float64)
    return closes[start - 1:len(closes) - 1]


def predict_prices(model, scaler, closes, start, window):
    """Dollar forecasts of closes[start:], each from the `window` returns before its day.

    Inputs: closes (T,) in dollars, start >= window + 1.
    Returns: (T - start,) float64 numpy array; entry k forecasts closes[start + k].
    """
    closes = np.asarray(closes, dtype=np.float64)
    device = next(model.parameters()).device
    windows = [scaler.transform(closes[t - window - 1:t]) for t in range(start, len(closes))]
    X = torch.tensor(np.stack(windows), dtype=torch.float32).unsqueeze(-1).to(device)   # (N, W, 1)
    model.eval()
    with torch.no_grad():
        out = model(X).cpu().numpy().reshape(-1)
    return np.asarray(scaler.inverse_transform(out, closes[start - 1:len(closes) - 1]), dtype=np.float64)


def rmse(actual, predicted):
    """Root mean squared error of two (N,) arrays, a float."""
    diff = np.asarray(actual, dtype=np.float64) - np.asarray(predicted, dtype=np.float64)
    return float(np.sqrt(np.mean(diff ** 2)))


def mae(actual, predicted):
    """Mean absolute error of two (N,) arrays, a float."""
    diff = np.asarray(actual, dtype=np.float64) - np.asarray(predicted, dtype=np.float64)
    return float(np.mean(np.abs(diff)))


def directional_accuracy(actual, predicted, previous):
    """Fraction of days where sign(predicted - previous) == sign(actual - previous); (N,) arrays."""
    actual, predicted, previous = (np.asarray(a, dtype=np.float64) for a in (actual, predicted, previous))
    return float(np.mean(np.sign(predicted - previous) == np.sign(actual - previous)))


def evaluate_forecast(model, scaler, closes, start, window):
    """The model's and persistence's errors in dollars on days start..T-1.

    Returns: {"rmse", "mae", "persistence_rmse", "persistence_mae", "directional_accuracy"}, floats.
    """
    closes = np.asarray(closes, dtype=np.float64)
    actual = closes[start:]
    predicted = predict_prices(model, scaler, closes, start, window)
    naive = persistence_forecast(closes, start)
    return {
        "rmse": rmse(actual, predicted),
        "mae": mae(actual, predicted),
        "persistence_rmse": rmse(actual, naive),
        "persistence_mae": mae(actual, naive),
        "directional_accuracy": directional_accuracy(actual, predicted, naive),
    }


# %% q7_plot
def plot_forecast(dates, actual, predicted):
    """Actual vs forecast closes over `dates`, and the histogram of the errors in dollars.

    Inputs: dates (N,), actual (N,), predicted (N,). Returns: the matplotlib Figure.
    """
    actual = np.asarray(actual, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    errors = predicted - actual
    fig, (ax_line, ax_hist) = plt.subplots(1, 2, figsize=(13, 4))
    ax_line.plot(dates, actual, label="actual", linewidth=1)
    ax_line.plot(dates, predicted, label="forecast", linewidth=1)
    ax_line.set_xlabel("date")
    ax_line.set_ylabel("close (USD)")
    ax_line.legend()
    ax_hist.hist(errors, bins=40)
    ax_hist.set_xlabel("forecast - actual (USD)")
    ax_hist.set_ylabel("days")
    fig.suptitle(f"Next-day close forecast: RMSE ${rmse(actual, predicted):.2f}")
    fig.tight_layout()
    return fig
