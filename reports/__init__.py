"""Reports computed from what netwarden measured: the monthly availability of the dedicated
data network's links and of the agencies behind them (``netwarden report availability``)."""
