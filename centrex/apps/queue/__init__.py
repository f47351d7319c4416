"""ACD queues as an app: the caller's wait (`machine.py`, pure) and the app running it
(`app.py`); who is free and the agents' codes are the call layer's (`calls/features/queue.py`)."""

from centrex.apps.queue.app import QueueApp

__all__ = ["QueueApp"]
