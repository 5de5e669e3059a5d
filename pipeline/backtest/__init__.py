"""Rolling-origin backtesting of forecasts: the data of earlier origins and one cell's training and scoring."""
