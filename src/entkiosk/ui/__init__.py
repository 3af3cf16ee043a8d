"""The Textual kiosk: one screen per step of the student guide."""
