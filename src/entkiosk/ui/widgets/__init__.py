"""Reusable kiosk widgets: fields with their error line, password and birth-date fields, QR code."""
