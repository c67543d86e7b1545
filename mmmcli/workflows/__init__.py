"""The commands' orchestration: each workflow chains the layers below for one command."""
