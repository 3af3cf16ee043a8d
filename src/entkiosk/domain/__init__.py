"""Pure rules of the guide: identifiers, password policy, tokens, lifecycle. No I/O here."""
