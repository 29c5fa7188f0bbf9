"""The default opt-out keywords (settings OPT_OUT_*): whole inbound messages, matched ignoring case and accents."""

# Opt out of every message.
STOP = {
    "en": ["STOP", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPT OUT"],
    "es": ["BAJA", "PARAR", "CANCELAR"],
    "pt": ["PARAR", "SAIR", "CANCELAR"],
    "fr": ["ARRÊT", "ARRETER", "STOP"],
    "de": ["STOPP", "ABMELDEN"],
    "it": ["BASTA", "DISISCRIVI"],
}
# Opt back in: the opt-out is removed.
START = {
    "en": ["START", "UNSTOP", "SUBSCRIBE"],
    "es": ["ALTA"],
    "pt": ["VOLTAR"],
    "fr": ["COMMENCER"],
    "de": ["ANMELDEN"],
    "it": ["ISCRIVI"],
}
# Quick-reply button payloads (a template's "Stop promotions" button) that opt out of marketing templates.
BUTTON_PAYLOADS = ["STOP", "STOP_PROMOTIONS", "UNSUBSCRIBE"]
