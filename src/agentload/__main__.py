"""``python -m agentload`` runs the command line."""

from agentload.cli import main

if __name__ == "__main__":
    main()
