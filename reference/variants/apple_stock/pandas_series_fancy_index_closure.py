# %% q1_load_split
def load_prices(path):
    """Read the price CSV at `path`, one row per trading day.

    Returns: DataFrame of T rows sorted by date (oldest first), index 0..T-1, a `date` column of
    dtype datetime64 and a float `close` column (the other columns may stay).
    """
    frame = pd.read_csv(path, parse_dates=["date"])
    frame = frame.sort_values("date", kind="stable", ignore_index=True)
    frame["close"] = frame["close"].astype("float64")
    return frame


def chronological_split(df, train_frac=0.70, val_frac=0.15):
    """Cut date-sorted rows into consecutive train, validation and test blocks (no shuffling).

    Inputs: df, T rows sorted by date.
    Returns: (train, val, test) DataFrames of n_train = int(train_frac * T) rows, then
    n_val = int(val_frac * T) rows, then the T - n_train - n_val remaining rows.
    """
    bounds = [0, int(train_frac * len(df))]
    bounds.append(bounds[1] + int(val_frac * len(df)))
    bounds.append(len(df))
    return tuple(df.iloc[lo:hi].copy() for lo, hi in zip(bounds[:-1], bounds[1:]))


# %% q2_scale
class LogReturnScaler:
    """Standardised daily log returns, with statistics from the prices given to `fit`.

    fit(prices (T,)) -> self            sets mean_, std_ of log(prices[t+1] / prices[t])
    transform(prices (T,)) -> (T-1,)    float32 scaled returns
    inverse_transform(z (N,), last (N,)) -> (N,) dollars: last * exp(z * std_ + mean_)
    """

    @staticmethod
    def log_returns(prices):
        # a fresh RangeIndex, so a Series with gaps in its index diffs by position
        series = pd.Series(np.asarray(prices, dtype="float64").ravel())
        return np.log(series).diff().iloc[1:].to_numpy()

    def fit(self, prices):
        returns = self.log_returns(prices)
        self.mean_ = float(returns.mean())
        self.std_ = float(returns.std(ddof=0))
        return self

    def transform(self, prices):
        standardised = (self.log_returns(prices) - self.mean_) / self.std_
        return standardised.astype("float32")

    def inverse_transform(self, z, last):
        growth = np.exp(np.asarray(z, dtype="float64").ravel() * self.std_ + self.mean_)
        return np.asarray(last, dtype="float64").ravel() * growth


def scale_splits(train_close, val_close, test_close, window):
    """Fit a LogReturnScaler on the training closes only; scale the three periods.

    Inputs: 1-D arrays of closes in dollars, of lengths T_train, T_val, T_test; window W.
    Returns: (scaler, train_z, val_z, test_z) with
      train_z = scaler.transform(train_close)                                   shape (T_train - 1,)
      val_z   = scaler.transform(the W + 1 closes before val_close, then val_close)   (W + T_val,)
      test_z  = scaler.transform(the W + 1 closes before test_close, then test_close) (W + T_test,)
    """
    train, val, test = (np.asarray(c, dtype="float64").ravel() for c in (train_close, val_close, test_close))
    scaler = LogReturnScaler().fit(train)
    history = np.concatenate([train, val, test])
    val_from = len(train) - (window + 1)                # first close the validation series needs
    test_from = len(train) + len(val) - (window + 1)
    val_z = scaler.transform(history[val_from:len(train) + len(val)])
    test_z = scaler.transform(history[test_from:])
    return scaler, scaler.transform(train), val_z, test_z


# %% q3_windows
def make_windows(series, window, horizon=1):
    """Overlapping input windows and the value `horizon` steps after each.

    Inputs: series of shape (T,) or (T, F), numpy array or tensor; column 0 holds the target.
    Returns: X of shape (N, W, F) and y of shape (N, 1), float32 tensors, N = T - W - horizon + 1:
      X[i] = series[i : i + W]   (a 1-D series gives F = 1)
      y[i] = series[i + W - 1 + horizon, 0]
    """
    values = torch.as_tensor(np.asarray(series.detach().cpu() if torch.is_tensor(series) else series),
                             dtype=torch.float32)
    values = values.reshape(values.shape[0], -1)                       # (T, F)
    count = max(values.shape[0] - window - horizon + 1, 0)
    starts = torch.arange(count).view(-1, 1)                            # (N, 1)
    offsets = torch.arange(window).view(1, -1)                          # (1, W)
    X = values[starts + offsets]                                        # (N, W, F) by fancy indexing
    y = values[torch.arange(count) + window - 1 + horizon, 0].view(-1, 1)
    return X, y


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
        sequence, _ = self.rnn(x)
        last_step = sequence[:, sequence.size(1) - 1, :]                # (B, H)
        return self.head(last_step)


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
        sequence, _ = self.rnn(x)
        last_step = sequence[:, sequence.size(1) - 1, :]
        return self.head(last_step)


# %% q5_train
def train_model(model, train_xy, val_xy, steps, lr=1e-3, batch_size=64, eval_every=25,
                patience=None, device="cpu", progress=True):
    """Adam on MSE with validation early stopping; the returned model holds the best weights.

    Inputs: train_xy = (X, y), val_xy = (X_val, y_val): tensors of shapes (N, W, F) and (N, 1).
    Returns: (model, history): the model on `device` with the weights of the lowest validation
    loss, and history = {"step": [...], "train_loss": [...], "val_loss": [...],
    "best_step": int, "best_val_loss": float} with one entry per evaluation.
    """
    model = model.to(device)
    X, y = train_xy[0].to(device), train_xy[1].to(device)
    Xv, yv = val_xy[0].to(device), val_xy[1].to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    mse = nn.MSELoss()

    def validate():
        model.eval()
        with torch.no_grad():
            return float(mse(model(Xv), yv))

    steps_done, since_eval, evals_without_gain = 0, [], 0
    history = {"step": [], "train_loss": [], "val_loss": [], "best_step": 0, "best_val_loss": float("inf")}
    best_weights = None
    bar = tqdm(total=steps, disable=not progress, desc="train")
    while steps_done < steps:
        model.train()
        pick = torch.randint(0, X.shape[0], (batch_size,))
        loss = mse(model(X[pick]), y[pick])
        opt.zero_grad()
        loss.backward()
        opt.step()
        steps_done += 1
        since_eval.append(float(loss))
        bar.update(1)
        if steps_done % eval_every and steps_done != steps:
            continue
        val_loss = validate()
        history["step"].append(steps_done)
        history["train_loss"].append(float(np.mean(since_eval)))
        history["val_loss"].append(val_loss)
        since_eval = []
        if val_loss < history["best_val_loss"]:
            history["best_step"], history["best_val_loss"] = steps_done, val_loss
            best_weights = {name: t.detach().clone() for name, t in model.state_dict().items()}
            evals_without_gain = 0
        else:
            evals_without_gain += 1
        bar.set_postfix(val=f"{val_loss:.4f}")
        if patience is not None and evals_without_gain > 0 and evals_without_gain >= patience:
            break
    bar.close()
    if best_weights is not None:
        model.load_state_dict(best_weights)
    return model, history


# %% q6_evaluate
def persistence_forecast(closes, start):
    """Tomorrow = today. Inputs: closes (T,). Returns: (T - start,) array, closes[start-1 : T-1]."""
    return pd.Series(np.asarray(closes, dtype="float64")).shift(1).iloc[start:].to_numpy()


def predict_prices(model, scaler, closes, start, window):
    """Dollar forecasts of closes[start:], each from the `window` returns before its day.

    Inputs: closes (T,) in dollars, start >= window + 1.
    Returns: (T - start,) float64 numpy array; entry k forecasts closes[start + k].
    """
    closes = np.asarray(closes, dtype="float64")
    days = range(start, len(closes))
    batch = np.stack([scaler.transform(closes[day - window - 1:day]) for day in days])   # (N, W)
    device = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        scaled = model(torch.from_numpy(batch).float().unsqueeze(-1).to(device))        # (N, 1)
    return scaler.inverse_transform(scaled.cpu().numpy(), closes[start - 1:-1])


def rmse(actual, predicted):
    """Root mean squared error of two (N,) arrays, a float."""
    err = pd.Series(np.asarray(predicted, dtype="float64") - np.asarray(actual, dtype="float64"))
    return float(np.sqrt((err ** 2).mean()))


def mae(actual, predicted):
    """Mean absolute error of two (N,) arrays, a float."""
    err = pd.Series(np.asarray(predicted, dtype="float64") - np.asarray(actual, dtype="float64"))
    return float(err.abs().mean())


def directional_accuracy(actual, predicted, previous):
    """Fraction of days where sign(predicted - previous) == sign(actual - previous); (N,) arrays."""
    base = np.asarray(previous, dtype="float64")
    forecast_move = np.sign(np.asarray(predicted, dtype="float64") - base)
    real_move = np.sign(np.asarray(actual, dtype="float64") - base)
    return float(np.count_nonzero(forecast_move == real_move) / len(base))


def evaluate_forecast(model, scaler, closes, start, window):
    """The model's and persistence's errors in dollars on days start..T-1.

    Returns: {"rmse", "mae", "persistence_rmse", "persistence_mae", "directional_accuracy"}, floats.
    """
    closes = np.asarray(closes, dtype="float64")
    truth, naive = closes[start:], persistence_forecast(closes, start)
    model_forecast = predict_prices(model, scaler, closes, start, window)
    result = {"rmse": rmse(truth, model_forecast), "mae": mae(truth, model_forecast)}
    result.update(persistence_rmse=rmse(truth, naive), persistence_mae=mae(truth, naive))
    result["directional_accuracy"] = directional_accuracy(truth, model_forecast, naive)
    return result


# %% q7_plot
def plot_forecast(dates, actual, predicted):
    """Actual vs forecast closes over `dates`, and the histogram of the errors in dollars.

    Inputs: dates (N,), actual (N,), predicted (N,). Returns: the matplotlib Figure.
    """
    frame = pd.DataFrame({"actual": np.asarray(actual, dtype="float64"),
                          "forecast": np.asarray(predicted, dtype="float64")}, index=pd.to_datetime(dates))
    fig = plt.figure(figsize=(12, 4))
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    frame.plot(ax=left, linewidth=0.8)
    left.set_ylabel("USD")
    (frame["forecast"] - frame["actual"]).plot.hist(ax=right, bins=35, color="gray")
    right.set_xlabel("forecast - actual (USD)")
    fig.suptitle(f"LSTM next-day close, test RMSE {rmse(frame['actual'], frame['forecast']):.2f} USD")
    return fig
