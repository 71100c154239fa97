"""Real and fake servers the sync and sign-in tests run against, all on 127.0.0.1."""
