"""``python -m pipewright_emulator --port N``: start the emulator in the foreground."""

from .server import main

main()
