# %% q1_load_split
def load_prices(path):
    """Read the price CSV at `path`, one row per trading day.

    Returns: DataFrame of T rows sorted by date (oldest first), index 0..T-1, a `date` column of
    dtype datetime64 and a float `close` column (the other columns may stay).
    """
    df = pd.read_csv(path)
    df["date"] = pd.to_datetime(df["date"])
    df = df.sort_values(by="date")
    df = df.reset_index(drop=True)
    return df


def chronological_split(df, train_frac=0.70, val_frac=0.15):
    """Cut date-sorted rows into consecutive train, validation and test blocks (no shuffling).

    Inputs: df, T rows sorted by date.
    Returns: (train, val, test) DataFrames of n_train = int(train_frac * T) rows, then
    n_val = int(val_frac * T) rows, then the T - n_train - n_val remaining rows.
    """
    n = len(df)
    n_train = int(train_frac * n)
    n_val = int(val_frac * n)
    train = df[:n_train]
    val = df[n_train:n_train + n_val]
    test = df[n_train + n_val:]
    return train, val, test


# %% q2_scale
class LogReturnScaler:
    """Standardised daily log returns, with statistics from the prices given to `fit`.

    fit(prices (T,)) -> self            sets mean_, std_ of log(prices[t+1] / prices[t])
    transform(prices (T,)) -> (T-1,)    float32 scaled returns
    inverse_transform(z (N,), last (N,)) -> (N,) dollars: last * exp(z * std_ + mean_)
    """

    def fit(self, prices):
        p = np.array(prices, dtype=float)
        r = np.log(p[1:] / p[:-1])
        self.mean_ = r.mean()
        self.std_ = r.std()
        return self

    def transform(self, prices):
        p = np.array(prices, dtype=float)
        r = np.log(p[1:] / p[:-1])
        return ((r - self.mean_) / self.std_).astype(np.float32)

    def inverse_transform(self, z, last):
        z = np.array(z, dtype=float).flatten()
        last = np.array(last, dtype=float).flatten()
        return last * np.exp(z * self.std_ + self.mean_)


def scale_splits(train_close, val_close, test_close, window):
    """Fit a LogReturnScaler on the training closes only; scale the three periods.

    Inputs: 1-D arrays of closes in dollars, of lengths T_train, T_val, T_test; window W.
    Returns: (scaler, train_z, val_z, test_z) with
      train_z = scaler.transform(train_close)                                   shape (T_train - 1,)
      val_z   = scaler.transform(the W + 1 closes before val_close, then val_close)   (W + T_val,)
      test_z  = scaler.transform(the W + 1 closes before test_close, then test_close) (W + T_test,)
    """
    scaler = LogReturnScaler()
    scaler.fit(train_close)
    train_z = scaler.transform(train_close)
    val_series = np.concatenate([train_close[-(window + 1):], val_close])
    before_test = np.concatenate([train_close, val_close])
    test_series = np.concatenate([before_test[-(window + 1):], test_close])
    val_z = scaler.transform(val_series)
    test_z = scaler.transform(test_series)
    return scaler, train_z, val_z, test_z


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
    data = np.array(series, dtype=np.float32)
    if data.ndim == 1:
        data = data[:, None]
    X, y = [], []
    for i in range(len(data) - window - horizon + 1):
        X.append(data[i:i + window])
        y.append(data[i + window - 1 + horizon, 0])
    X = torch.tensor(np.array(X, dtype=np.float32).reshape(-1, window, data.shape[1]))
    y = torch.tensor(np.array(y, dtype=np.float32).reshape(-1, 1))
    return X, y


# %% q4_model
class LSTMForecaster(nn.Module):
    """nn.LSTM(batch_first=True) followed by a linear head on the last time step.

    Inputs: x of shape (B, W, F). Returns: (B, 1), the scaled next value.
    Parameters: exactly those of nn.LSTM(F, H, num_layers) and nn.Linear(H, 1).
    """

    def __init__(self, n_features=1, hidden_size=64, num_layers=1):
        super().__init__()
        self.rnn = nn.LSTM(n_features, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        out, (h, c) = self.rnn(x)
        return self.head(out[:, -1])


class GRUForecaster(nn.Module):
    """nn.GRU(batch_first=True) followed by a linear head on the last time step.

    Inputs: x of shape (B, W, F). Returns: (B, 1).
    Parameters: exactly those of nn.GRU(F, H, num_layers) and nn.Linear(H, 1).
    """

    def __init__(self, n_features=1, hidden_size=64, num_layers=1):
        super().__init__()
        self.rnn = nn.GRU(n_features, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, x):
        out, h = self.rnn(x)
        return self.head(out[:, -1])


# %% q5_train
def train_model(model, train_xy, val_xy, steps, lr=1e-3, batch_size=64, eval_every=25,
                patience=None, device="cpu", progress=True):
    """Adam on MSE with validation early stopping; the returned model holds the best weights.

    Inputs: train_xy = (X, y), val_xy = (X_val, y_val): tensors of shapes (N, W, F) and (N, 1).
    Returns: (model, history): the model on `device` with the weights of the lowest validation
    loss, and history = {"step": [...], "train_loss": [...], "val_loss": [...],
    "best_step": int, "best_val_loss": float} with one entry per evaluation.
    """
    X_train, y_train = train_xy
    X_val, y_val = val_xy
    X_train, y_train = X_train.to(device), y_train.to(device)
    X_val, y_val = X_val.to(device), y_val.to(device)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.MSELoss()
    history = {"step": [], "train_loss": [], "val_loss": []}
    best_loss = float("inf")
    best_step = 0
    best_weights = copy.deepcopy(model.state_dict())
    waited = 0
    losses = []
    pbar = tqdm(range(steps), disable=not progress)
    for i in pbar:
        step = i + 1
        model.train()
        batch = torch.randint(0, len(X_train), (batch_size,))
        pred = model(X_train[batch])
        loss = criterion(pred, y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % eval_every == 0 or step == steps:
            model.eval()
            with torch.no_grad():
                val_loss = criterion(model(X_val), y_val).item()
            history["step"].append(step)
            history["train_loss"].append(sum(losses) / len(losses))
            history["val_loss"].append(val_loss)
            losses = []
            if val_loss < best_loss:
                best_loss = val_loss
                best_step = step
                best_weights = copy.deepcopy(model.state_dict())
                waited = 0
            else:
                waited += 1
                if patience is not None and waited >= patience:
                    break
            pbar.set_postfix({"val": val_loss})
    model.load_state_dict(best_weights)
    history["best_step"] = best_step
    history["best_val_loss"] = best_loss
    return model, history


# %% q6_evaluate
def persistence_forecast(closes, start):
    """Tomorrow = today. Inputs: closes (T,). Returns: (T - start,) array, closes[start-1 : T-1]."""
    closes = np.array(closes, dtype=float)
    return closes[start - 1:len(closes) - 1]


def predict_prices(model, scaler, closes, start, window):
    """Dollar forecasts of closes[start:], each from the `window` returns before its day.

    Inputs: closes (T,) in dollars, start >= window + 1.
    Returns: (T - start,) float64 numpy array; entry k forecasts closes[start + k].
    """
    closes = np.array(closes, dtype=float)
    device = next(model.parameters()).device
    inputs = []
    for t in range(start, len(closes)):
        inputs.append(scaler.transform(closes[t - window - 1:t]))
    X = torch.tensor(np.array(inputs), dtype=torch.float32).unsqueeze(2).to(device)
    model.eval()
    with torch.no_grad():
        preds = model(X).squeeze(1).cpu().numpy()
    prices = scaler.inverse_transform(preds, closes[start - 1:len(closes) - 1])
    return prices.astype(np.float64)


def rmse(actual, predicted):
    """Root mean squared error of two (N,) arrays, a float."""
    actual, predicted = np.array(actual, dtype=float), np.array(predicted, dtype=float)
    return float(np.sqrt(((actual - predicted) ** 2).mean()))


def mae(actual, predicted):
    """Mean absolute error of two (N,) arrays, a float."""
    actual, predicted = np.array(actual, dtype=float), np.array(predicted, dtype=float)
    return float(np.abs(actual - predicted).mean())


def directional_accuracy(actual, predicted, previous):
    """Fraction of days where sign(predicted - previous) == sign(actual - previous); (N,) arrays."""
    actual = np.array(actual, dtype=float)
    predicted = np.array(predicted, dtype=float)
    previous = np.array(previous, dtype=float)
    return float((np.sign(predicted - previous) == np.sign(actual - previous)).mean())


def evaluate_forecast(model, scaler, closes, start, window):
    """The model's and persistence's errors in dollars on days start..T-1.

    Returns: {"rmse", "mae", "persistence_rmse", "persistence_mae", "directional_accuracy"}, floats.
    """
    closes = np.array(closes, dtype=float)
    actual = closes[start:]
    pred = predict_prices(model, scaler, closes, start, window)
    persist = persistence_forecast(closes, start)
    return {
        "rmse": rmse(actual, pred),
        "mae": mae(actual, pred),
        "persistence_rmse": rmse(actual, persist),
        "persistence_mae": mae(actual, persist),
        "directional_accuracy": directional_accuracy(actual, pred, persist),
    }


# %% q7_plot
def plot_forecast(dates, actual, predicted):
    """Actual vs forecast closes over `dates`, and the histogram of the errors in dollars.

    Inputs: dates (N,), actual (N,), predicted (N,). Returns: the matplotlib Figure.
    """
    errors = np.array(predicted) - np.array(actual)
    fig, axes = plt.subplots(1, 2, figsize=(14, 4))
    axes[0].plot(dates, actual, label="actual")
    axes[0].plot(dates, predicted, label="predicted")
    axes[0].set_title("Test period")
    axes[0].legend()
    axes[1].hist(errors, bins=30)
    axes[1].set_title("Errors (predicted - actual), USD")
    fig.suptitle(f"RMSE = {rmse(actual, predicted):.2f} USD")
    return fig
