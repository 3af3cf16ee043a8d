"""entkiosk: the account-activation kiosk of the ENT and Scolarité Services student guide."""

__version__ = "0.1.0"
