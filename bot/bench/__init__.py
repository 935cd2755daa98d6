"""Benchmarks behind ``make bench``: each module returns its figures as a dict."""
