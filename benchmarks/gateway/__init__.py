"""What the gateway costs per span, against decoding alone and against a bare Kafka producer.

Run: ``.venv/bin/python -m benchmarks.gateway [--exports N] [--clients N] [--bootstrap HOST:PORT]``.
See `__main__` for the method.
"""
