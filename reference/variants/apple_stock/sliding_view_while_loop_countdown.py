# %% q1_load_split
def load_prices(path):
    """Read the price CSV at `path`, one row per trading day.

    Returns: DataFrame of T rows sorted by date (oldest first), index 0..T-1, a `date` column of
    dtype datetime64 and a float `close` column (the other columns may stay).
    """
    raw = pd.read_csv(path, parse_dates=["date"], dtype={"close": float})
    order = np.argsort(raw["date"].to_numpy(), kind="stable")
    return raw.take(order).set_index(pd.RangeIndex(len(raw)))


def chronological_split(df, train_frac=0.70, val_frac=0.15):
    """Cut date-sorted rows into consecutive train, validation and test blocks (no shuffling).

    Inputs: df, T rows sorted by date.
    Returns: (train, val, test) DataFrames of n_train = int(train_frac * T) rows, then
    n_val = int(val_frac * T) rows, then the T - n_train - n_val remaining rows.
    """
    total = df.shape[0]
    n_train = int(train_frac * total)
    n_val = int(val_frac * total)
    cuts = [0, n_train, n_train + n_val, total]
    train, val, test = (df.take(np.arange(lo, hi)) for lo, hi in zip(cuts[:-1], cuts[1:]))
    return train, val, test


# %% q2_scale
class LogReturnScaler:
    """Standardised daily log returns, with statistics from the prices given to `fit`.

    fit(prices (T,)) -> self            sets mean_, std_ of log(prices[t+1] / prices[t])
    transform(prices (T,)) -> (T-1,)    float32 scaled returns
    inverse_transform(z (N,), last (N,)) -> (N,) dollars: last * exp(z * std_ + mean_)
    """

    def fit(self, prices):
        p = np.ravel(np.asarray(prices, dtype=np.float64))
        r = np.log(p[1:] / p[:-1])
        self.mean_ = r.sum() / r.size
        self.std_ = np.sqrt(((r - self.mean_) ** 2).sum() / r.size)     # population (ddof=0)
        self.mean_, self.std_ = float(self.mean_), float(self.std_)
        return self

    def transform(self, prices):
        p = np.ravel(np.asarray(prices, dtype=np.float64))
        z = (np.log(p[1:] / p[:-1]) - self.mean_) / self.std_
        return np.asarray(z, dtype=np.float32)

    def inverse_transform(self, z, last):
        z = np.ravel(np.asarray(z, dtype=np.float64))
        last = np.ravel(np.asarray(last, dtype=np.float64))
        log_return = z * self.std_ + self.mean_
        return last * np.exp(log_return)


def scale_splits(train_close, val_close, test_close, window):
    """Fit a LogReturnScaler on the training closes only; scale the three periods.

    Inputs: 1-D arrays of closes in dollars, of lengths T_train, T_val, T_test; window W.
    Returns: (scaler, train_z, val_z, test_z) with
      train_z = scaler.transform(train_close)                                   shape (T_train - 1,)
      val_z   = scaler.transform(the W + 1 closes before val_close, then val_close)   (W + T_val,)
      test_z  = scaler.transform(the W + 1 closes before test_close, then test_close) (W + T_test,)
    """
    train_close, val_close, test_close = (np.ravel(np.asarray(c, dtype=np.float64))
                                          for c in (train_close, val_close, test_close))
    scaler = LogReturnScaler()
    scaler.fit(train_close)
    seen_before_test = np.concatenate((train_close, val_close))
    val_series = np.concatenate((train_close[len(train_close) - (window + 1):], val_close))
    test_series = np.concatenate((seen_before_test[len(seen_before_test) - (window + 1):], test_close))
    return scaler, scaler.transform(train_close), scaler.transform(val_series), scaler.transform(test_series)


# %% q3_windows
def make_windows(series, window, horizon=1):
    """Overlapping input windows and the value `horizon` steps after each.

    Inputs: series of shape (T,) or (T, F), numpy array or tensor; column 0 holds the target.
    Returns: X of shape (N, W, F) and y of shape (N, 1), float32 tensors, N = T - W - horizon + 1:
      X[i] = series[i : i + W]   (a 1-D series gives F = 1)
      y[i] = series[i + W - 1 + horizon, 0]
    """
    if torch.is_tensor(series):
        series = series.detach().cpu().numpy()
    arr = np.asarray(series, dtype=np.float32)
    arr = arr.reshape(len(arr), -1) if arr.ndim == 1 else arr         # (T, F)
    T, F = arr.shape
    N = max(T - window - horizon + 1, 0)
    if N == 0:
        return torch.empty(0, window, F), torch.empty(0, 1)
    views = np.lib.stride_tricks.sliding_window_view(arr, window, axis=0)   # (T - W + 1, F, W)
    X = np.ascontiguousarray(views[:N].transpose(0, 2, 1))              # (N, W, F)
    target_rows = np.arange(N) + window - 1 + horizon
    y = arr[target_rows, 0].reshape(N, 1)
    return torch.from_numpy(X.copy()), torch.from_numpy(np.array(y, dtype=np.float32))


# %% q4_model
class LSTMForecaster(nn.Module):
    """nn.LSTM(batch_first=True) followed by a linear head on the last time step.

    Inputs: x of shape (B, W, F). Returns: (B, 1), the scaled next value.
    Parameters: exactly those of nn.LSTM(F, H, num_layers) and nn.Linear(H, 1).
    """

    def __init__(self, n_features=1, hidden_size=64, num_layers=1):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden_size, num_layers=num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, 1)

    def forward(self, x):
        outputs = self.lstm(x)[0]                                       # (B, W, H)
        return self.fc(outputs.select(1, outputs.shape[1] - 1))


class GRUForecaster(nn.Module):
    """nn.GRU(batch_first=True) followed by a linear head on the last time step.

    Inputs: x of shape (B, W, F). Returns: (B, 1).
    Parameters: exactly those of nn.GRU(F, H, num_layers) and nn.Linear(H, 1).
    """

    def __init__(self, n_features=1, hidden_size=64, num_layers=1):
        super().__init__()
        self.gru = nn.GRU(n_features, hidden_size, num_layers=num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, 1)

    def forward(self, x):
        outputs = self.gru(x)[0]
        return self.fc(outputs.select(1, outputs.shape[1] - 1))


# %% q5_train
def train_model(model, train_xy, val_xy, steps, lr=1e-3, batch_size=64, eval_every=25,
                patience=None, device="cpu", progress=True):
    """Adam on MSE with validation early stopping; the returned model holds the best weights.

    Inputs: train_xy = (X, y), val_xy = (X_val, y_val): tensors of shapes (N, W, F) and (N, 1).
    Returns: (model, history): the model on `device` with the weights of the lowest validation
    loss, and history = {"step": [...], "train_loss": [...], "val_loss": [...],
    "best_step": int, "best_val_loss": float} with one entry per evaluation.
    """
    device = torch.device(device)
    model = model.to(device)
    Xt, yt = [t.to(device) for t in train_xy]
    Xv, yv = [t.to(device) for t in val_xy]
    n_train = len(Xt)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.MSELoss()

    history = {"step": [], "train_loss": [], "val_loss": []}
    best_val, best_step, best_state = float("inf"), 0, None
    patience_left = patience
    loss_sum = torch.zeros((), dtype=torch.float64)
    loss_count = 0
    pbar = tqdm(total=steps, desc="LSTM", disable=not progress)
    step = 0
    stop = False
    while step < steps and not stop:
        step += 1
        model.train()
        rows = torch.randint(0, n_train, (batch_size,))
        optimizer.zero_grad(set_to_none=True)
        batch_loss = criterion(model(Xt[rows]), yt[rows])
        batch_loss.backward()
        optimizer.step()
        loss_sum += batch_loss.detach().double().cpu()
        loss_count += 1
        pbar.update()
        if step == steps or step % eval_every == 0:
            model.eval()
            with torch.no_grad():
                val_loss = float(criterion(model(Xv), yv))
            history["step"].append(step)
            history["train_loss"].append(float(loss_sum / loss_count))
            history["val_loss"].append(val_loss)
            loss_sum.zero_()
            loss_count = 0
            if best_state is None or val_loss < best_val:
                best_val, best_step = val_loss, step
                best_state = copy.deepcopy(model.state_dict())
                patience_left = patience
            elif patience_left is not None:
                patience_left -= 1
                stop = patience_left <= 0
            pbar.set_postfix({"val_loss": round(val_loss, 5), "best_step": best_step})
    pbar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    history["best_step"] = int(best_step)
    history["best_val_loss"] = float(best_val)
    return model, history


# %% q6_evaluate
def persistence_forecast(closes, start):
    """Tomorrow = today. Inputs: closes (T,). Returns: (T - start,) array, closes[start-1 : T-1]."""
    closes = np.ravel(np.asarray(closes, dtype=np.float64))
    return np.array(closes[start - 1:closes.size - 1])


def predict_prices(model, scaler, closes, start, window):
    """Dollar forecasts of closes[start:], each from the `window` returns before its day.

    Inputs: closes (T,) in dollars, start >= window + 1.
    Returns: (T - start,) float64 numpy array; entry k forecasts closes[start + k].
    """
    closes = np.ravel(np.asarray(closes, dtype=np.float64))
    device = next(model.parameters()).device
    model.eval()
    forecasts = np.empty(closes.size - start, dtype=np.float64)
    with torch.no_grad():
        for k, t in enumerate(range(start, closes.size)):
            past = closes[:t]                                          # day t's forecast sees only closes[:t]
            z = scaler.transform(past[t - window - 1:])                 # the W returns before day t
            x = torch.from_numpy(np.asarray(z, dtype=np.float32)).view(1, window, 1).to(device)
            out = model(x).cpu().numpy().reshape(-1)
            forecasts[k] = np.asarray(scaler.inverse_transform(out, past[-1:]), dtype=np.float64)[0]
    return forecasts


def rmse(actual, predicted):
    """Root mean squared error of two (N,) arrays, a float."""
    errors = [(float(a) - float(p)) ** 2 for a, p in zip(np.ravel(actual), np.ravel(predicted))]
    return float(np.sqrt(sum(errors) / len(errors)))


def mae(actual, predicted):
    """Mean absolute error of two (N,) arrays, a float."""
    errors = [abs(float(a) - float(p)) for a, p in zip(np.ravel(actual), np.ravel(predicted))]
    return sum(errors) / len(errors)


def directional_accuracy(actual, predicted, previous):
    """Fraction of days where sign(predicted - previous) == sign(actual - previous); (N,) arrays."""
    actual, predicted, previous = (np.ravel(np.asarray(v, dtype=np.float64)) for v in (actual, predicted, previous))
    same = np.sign(predicted - previous) == np.sign(actual - previous)
    return np.count_nonzero(same) / same.size


def evaluate_forecast(model, scaler, closes, start, window):
    """The model's and persistence's errors in dollars on days start..T-1.

    Returns: {"rmse", "mae", "persistence_rmse", "persistence_mae", "directional_accuracy"}, floats.
    """
    closes = np.ravel(np.asarray(closes, dtype=np.float64))
    truth = closes[start:]
    model_forecast = predict_prices(model, scaler, closes, start, window)
    baseline = persistence_forecast(closes, start)
    metrics = {}
    for prefix, forecast in (("", model_forecast), ("persistence_", baseline)):
        metrics[prefix + "rmse"] = float(rmse(truth, forecast))
        metrics[prefix + "mae"] = float(mae(truth, forecast))
    metrics["directional_accuracy"] = float(directional_accuracy(truth, model_forecast, baseline))
    return metrics


# %% q7_plot
def plot_forecast(dates, actual, predicted):
    """Actual vs forecast closes over `dates`, and the histogram of the errors in dollars.

    Inputs: dates (N,), actual (N,), predicted (N,). Returns: the matplotlib Figure.
    """
    fig, axes = plt.subplots(nrows=1, ncols=2, figsize=(14, 4.5), gridspec_kw={"width_ratios": [2, 1]})
    error = np.asarray(predicted, dtype=float) - np.asarray(actual, dtype=float)
    axes[0].plot(dates, actual, label="actual", linewidth=1.2)
    axes[0].plot(dates, predicted, "--", label="forecast", linewidth=1.0)
    axes[0].set(xlabel="date", ylabel="close (USD)",
                title=f"AAPL next-day close, test period (RMSE ${rmse(actual, predicted):.2f})")
    axes[0].legend(loc="upper left")
    axes[1].hist(error, bins="auto", alpha=0.8)
    axes[1].set(xlabel="forecast error, predicted - actual (USD)", ylabel="number of days",
                title=f"Error distribution (mean {error.mean():+.2f}, RMSE ${np.sqrt(np.mean(error ** 2)):.2f})")
    fig.tight_layout()
    return fig
