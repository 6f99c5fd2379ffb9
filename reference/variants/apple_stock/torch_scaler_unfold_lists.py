# %% q1_load_split
def load_prices(path):
    """Read the price CSV at `path`, one row per trading day.

    Returns: DataFrame of T rows sorted by date (oldest first), index 0..T-1, a `date` column of
    dtype datetime64 and a float `close` column (the other columns may stay).
    """
    df = pd.read_csv(path)
    df["date"] = pd.to_datetime(df["date"])
    df["close"] = df["close"].astype("float64")
    return df.sort_values("date", kind="mergesort", ignore_index=True)


def chronological_split(df, train_frac=0.70, val_frac=0.15):
    """Cut date-sorted rows into consecutive train, validation and test blocks (no shuffling).

    Inputs: df, T rows sorted by date.
    Returns: (train, val, test) DataFrames of n_train = int(train_frac * T) rows, then
    n_val = int(val_frac * T) rows, then the T - n_train - n_val remaining rows.
    """
    n_train, n_val = int(train_frac * len(df)), int(val_frac * len(df))
    n_test = len(df) - n_train - n_val
    train = df.head(n_train).reset_index(drop=True)
    val = df.head(n_train + n_val).tail(n_val).reset_index(drop=True)
    test = df.tail(n_test).reset_index(drop=True) if n_test > 0 else df.iloc[0:0].reset_index(drop=True)
    return train, val, test


# %% q2_scale
class LogReturnScaler:
    """Standardised daily log returns, with statistics from the prices given to `fit`.

    fit(prices (T,)) -> self            sets mean_, std_ of log(prices[t+1] / prices[t])
    transform(prices (T,)) -> (T-1,)    float32 scaled returns
    inverse_transform(z (N,), last (N,)) -> (N,) dollars: last * exp(z * std_ + mean_)
    """

    @staticmethod
    def _log_returns(prices):
        p = torch.tensor(np.asarray(prices, dtype=np.float64)).flatten()
        return torch.log(p[1:] / p[:-1])                               # float64 tensor (T-1,)

    def fit(self, prices):
        r = self._log_returns(prices)
        self.mean_ = r.mean().item()
        self.std_ = r.std(correction=1).item()                         # sample std (ddof=1), which the prose allows
        return self

    def transform(self, prices):
        r = self._log_returns(prices)
        return ((r - self.mean_) / self.std_).to(torch.float32).numpy()

    def inverse_transform(self, z, last):
        z = torch.tensor(np.asarray(z, dtype=np.float64)).reshape(-1)
        last = torch.tensor(np.asarray(last, dtype=np.float64)).reshape(-1)
        return (last * torch.exp(z * self.std_ + self.mean_)).numpy()


def scale_splits(train_close, val_close, test_close, window):
    """Fit a LogReturnScaler on the training closes only; scale the three periods.

    Inputs: 1-D arrays of closes in dollars, of lengths T_train, T_val, T_test; window W.
    Returns: (scaler, train_z, val_z, test_z) with
      train_z = scaler.transform(train_close)                                   shape (T_train - 1,)
      val_z   = scaler.transform(the W + 1 closes before val_close, then val_close)   (W + T_val,)
      test_z  = scaler.transform(the W + 1 closes before test_close, then test_close) (W + T_test,)
    """
    parts = [np.asarray(p, dtype=np.float64).reshape(-1) for p in (train_close, val_close, test_close)]
    scaler = LogReturnScaler().fit(parts[0])
    everything = np.concatenate(parts)
    val_start, test_start = len(parts[0]), len(parts[0]) + len(parts[1])
    val_z = scaler.transform(everything[max(val_start - window - 1, 0):test_start])
    test_z = scaler.transform(everything[max(test_start - window - 1, 0):])
    return scaler, scaler.transform(parts[0]), val_z, test_z


# %% q3_windows
def make_windows(series, window, horizon=1):
    """Overlapping input windows and the value `horizon` steps after each.

    Inputs: series of shape (T,) or (T, F), numpy array or tensor; column 0 holds the target.
    Returns: X of shape (N, W, F) and y of shape (N, 1), float32 tensors, N = T - W - horizon + 1:
      X[i] = series[i : i + W]   (a 1-D series gives F = 1)
      y[i] = series[i + W - 1 + horizon, 0]
    """
    if torch.is_tensor(series):
        data = series.detach().clone().to(torch.float32)
    else:
        data = torch.tensor(np.asarray(series), dtype=torch.float32)
    if data.dim() == 1:
        data = data[:, None]                                           # (T, 1)
    n = max(data.shape[0] - window - horizon + 1, 0)
    if n == 0:
        return data.new_zeros(0, window, data.shape[1]), data.new_zeros(0, 1)
    # unfold gives (T - W + 1, F, W); keep the first n windows and put time before features
    X = data.unfold(0, window, 1)[:n].permute(0, 2, 1).contiguous()
    first_target = window - 1 + horizon
    y = data[first_target:first_target + n, :1].contiguous()
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
        self.head = nn.Linear(in_features=hidden_size, out_features=1)

    def forward(self, x):
        _, (h_n, _) = self.rnn(x)                                      # h_n: (num_layers, B, H)
        return self.head(h_n[-1])                                      # top layer at the last step


class GRUForecaster(nn.Module):
    """nn.GRU(batch_first=True) followed by a linear head on the last time step.

    Inputs: x of shape (B, W, F). Returns: (B, 1).
    Parameters: exactly those of nn.GRU(F, H, num_layers) and nn.Linear(H, 1).
    """

    def __init__(self, n_features=1, hidden_size=64, num_layers=1):
        super().__init__()
        self.rnn = nn.GRU(input_size=n_features, hidden_size=hidden_size, num_layers=num_layers,
                          batch_first=True)
        self.head = nn.Linear(in_features=hidden_size, out_features=1)

    def forward(self, x):
        _, h_n = self.rnn(x)
        return self.head(h_n[-1])


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
    X_train, y_train = train_xy[0].to(device), train_xy[1].to(device)
    X_val, y_val = val_xy[0].to(device), val_xy[1].to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    mse = nn.MSELoss()
    mse_sum = nn.MSELoss(reduction="sum")

    def validation_loss():
        model.eval()
        total = 0.0
        with torch.no_grad():
            for Xb, yb in zip(X_val.split(256), y_val.split(256)):      # all windows, in slices
                total += mse_sum(model(Xb), yb).item()
        return total / y_val.numel()

    steps_at, train_losses, val_losses = [], [], []
    since_eval = []
    best_index, best_weights = None, None
    with tqdm(total=steps, disable=not progress, desc="train_model") as bar:
        for step in range(1, steps + 1):
            model.train()
            batch = torch.randint(X_train.shape[0], (batch_size,))
            loss = mse(model(X_train[batch]), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            since_eval.append(loss.item())
            bar.update(1)
            if step % eval_every and step != steps:
                continue
            steps_at.append(step)
            train_losses.append(sum(since_eval) / len(since_eval))
            val_losses.append(validation_loss())
            since_eval = []
            if best_index is None or val_losses[-1] < val_losses[best_index]:
                best_index = len(val_losses) - 1
                best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
            bar.set_postfix(val=f"{val_losses[-1]:.4f}", best=f"{val_losses[best_index]:.4f}")
            since_best = len(val_losses) - 1 - best_index              # 0 right after an improvement
            if patience is not None and since_best > 0 and since_best >= patience:
                break
    if best_weights is not None:
        model.load_state_dict(best_weights)
    history = {"step": steps_at, "train_loss": train_losses, "val_loss": val_losses,
               "best_step": int(steps_at[best_index]) if steps_at else 0,
               "best_val_loss": float(val_losses[best_index]) if val_losses else float("inf")}
    return model, history


# %% q6_evaluate
def persistence_forecast(closes, start):
    """Tomorrow = today. Inputs: closes (T,). Returns: (T - start,) array, closes[start-1 : T-1]."""
    closes = np.asarray(closes, dtype=np.float64)
    return closes[start - 1:-1].copy()


def predict_prices(model, scaler, closes, start, window):
    """Dollar forecasts of closes[start:], each from the `window` returns before its day.

    Inputs: closes (T,) in dollars, start >= window + 1.
    Returns: (T - start,) float64 numpy array; entry k forecasts closes[start + k].
    """
    closes = np.asarray(closes, dtype=np.float64)
    T = len(closes)
    # returns of closes[start-W-1 : T-1] (never closes[T-1]); window k covers closes[start+k-W-1 : start+k]
    z = torch.as_tensor(scaler.transform(closes[start - window - 1:T - 1]), dtype=torch.float32)
    X = z.unfold(0, window, 1).unsqueeze(-1)                           # (T - start, W, 1)
    device = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        out = model(X.to(device)).detach().cpu().numpy()[:, 0]
    return np.asarray(scaler.inverse_transform(out, closes[start - 1:T - 1]), dtype=np.float64).reshape(-1)


def rmse(actual, predicted):
    """Root mean squared error of two (N,) arrays, a float."""
    diff = np.subtract(actual, predicted, dtype=np.float64)
    return float(np.linalg.norm(diff) / np.sqrt(diff.size))


def mae(actual, predicted):
    """Mean absolute error of two (N,) arrays, a float."""
    diff = np.subtract(actual, predicted, dtype=np.float64)
    return float(np.abs(diff).sum() / diff.size)


def directional_accuracy(actual, predicted, previous):
    """Fraction of days where sign(predicted - previous) == sign(actual - previous); (N,) arrays."""
    a, p, q = (torch.tensor(np.asarray(v, dtype=np.float64)) for v in (actual, predicted, previous))
    return (torch.sign(p - q) == torch.sign(a - q)).double().mean().item()


def evaluate_forecast(model, scaler, closes, start, window):
    """The model's and persistence's errors in dollars on days start..T-1.

    Returns: {"rmse", "mae", "persistence_rmse", "persistence_mae", "directional_accuracy"}, floats.
    """
    closes = np.asarray(closes, dtype=np.float64)
    actual = closes[start:]
    forecast = predict_prices(model, scaler, closes, start, window)
    persist = persistence_forecast(closes, start)
    report = {"rmse": rmse(actual, forecast), "mae": mae(actual, forecast)}
    report.update(persistence_rmse=rmse(actual, persist), persistence_mae=mae(actual, persist))
    report["directional_accuracy"] = directional_accuracy(actual, forecast, closes[start - 1:-1])
    return report


# %% q7_plot
def plot_forecast(dates, actual, predicted):
    """Actual vs forecast closes over `dates`, and the histogram of the errors in dollars.

    Inputs: dates (N,), actual (N,), predicted (N,). Returns: the matplotlib Figure.
    """
    errors = np.asarray(predicted, dtype=np.float64) - np.asarray(actual, dtype=np.float64)
    error_rmse = float(np.sqrt(np.mean(errors ** 2)))
    fig = plt.figure(figsize=(12, 4))
    left = fig.add_subplot(1, 2, 1)
    right = fig.add_subplot(1, 2, 2)
    left.plot(dates, actual, color="black", linewidth=1, label="actual close")
    left.plot(dates, predicted, color="tab:orange", linewidth=1, alpha=0.8, label="LSTM forecast")
    left.set_title("Test period: actual vs forecast")
    left.set_ylabel("USD")
    left.legend()
    right.hist(errors, bins=30, color="tab:blue", edgecolor="white")
    right.axvline(0.0, color="black", linewidth=1)
    right.set_title("Errors (forecast - actual)")
    right.set_xlabel("USD")
    fig.suptitle(f"RMSE = ${error_rmse:.2f}")
    fig.autofmt_xdate()
    return fig
