"""Meta's WhatsApp Cloud API: its preset (preset.py), its message builder (payloads.py) and its error catalogue
(catalogue.py). The generic API transport engine reads errors with the catalogue only for this preset."""
