"""Recurrent layers: RNN, LSTM, GRU and their single-step cells."""

__all__: list = []
