"""The rules and the transactions, one module per noun."""
