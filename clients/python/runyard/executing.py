"""What this process serves when it is a Runyard executor: the code it serves may open its own session again from a
Runner (Flame's recursive services), with the executor's credential, which reaches that session only."""

#: (the executor's Api, its brief) once runpy knows what it serves; None in a client.
current = None
