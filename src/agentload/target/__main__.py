"""``python -m agentload.target``: run the reference target until SIGINT or SIGTERM."""

import sys

from agentload.target.command import main

if __name__ == "__main__":
    sys.exit(main())
