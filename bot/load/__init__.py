"""The load tool behind ``make load``: simulated customers, their checks and the report."""
