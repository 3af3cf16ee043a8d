"""One module per screen of the student guide."""
