"""The views layer: pictures and widgets of traces, processes and queues."""
