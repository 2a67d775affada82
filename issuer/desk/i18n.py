"""Every string of the desk's pages, in English and Spanish; a test checks both have the same keys.

The language is the `citykey_desk_lang` cookie (set by the switch in every
page's header), else the best of `Accept-Language`, else English. Strings may
hold `{name}` fields, filled by `Messages.__call__`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LANG_COOKIE = "citykey_desk_lang"
DEFAULT = "en"

EN: dict[str, str] = {
    "html_lang": "en",
    "language_name": "English",
    "app_title": "City ID desk",
    "skip_to_content": "Skip to content",
    "signed_in_as": "Signed in as {name}",
    "sign_out": "Sign out",
    "login_title": "Staff sign-in",
    "login_intro": "Sign in with your desk account.",
    "name": "Name",
    "password": "Password",
    "sign_in": "Sign in",
    "login_refused": (
        "Sign-in refused. Check the name and password. After 5 failed attempts in a row "
        "an account is locked for 15 minutes."
    ),
    "session_ended": "Your session has ended. Please sign in again.",
    "signed_out": "You have signed out.",
    "enrol_title": "New resident credential",
    "enrol_intro": "Type the attributes you have checked in the resident's documents.",
    "given_name": "Given name(s)",
    "family_name": "Family name(s)",
    "birthdate": "Date of birth",
    "birthdate_hint": "Year-month-day, for example 1961-04-23.",
    "address_legend": "Address (optional)",
    "street_address": "Street and number",
    "locality": "Town or city",
    "postal_code": "Postal code",
    "resident_of": "Resident of",
    "use_tx_code": "Add a code the resident must type in the wallet (if others can see this screen)",
    "create_offer": "Create credential offer (phone)",
    "paper_card_only": "Paper card only (no phone)",
    "form_has_errors": "Please correct the fields marked below.",
    "err_required": "This field is required.",
    "err_date": "Enter a valid date as year-month-day (YYYY-MM-DD).",
    "err_date_future": "The date of birth cannot be in the future.",
    "err_date_old": "The date of birth cannot be before 1900.",
    "err_too_long": "This field is too long (at most {max} characters).",
    "err_characters": "This field contains characters that are not allowed.",
    "err_refused": "The attributes were refused. Check them and try again.",
    "offer_title": "Scan with the resident's wallet",
    "offer_help": (
        "Ask the resident to open the city wallet app and scan this code. "
        "It works once, and only until it expires."
    ),
    "offer_qr_title": "Credential offer QR code",
    "tx_code_label": "Code the resident types in the wallet",
    "tx_code_help": "Tell the resident this code; do not let others see it.",
    "expires_at": "Expires at {time}",
    "time_left": "Time left",
    "expired": "This offer has expired. Create a new one.",
    "offer_link": "Offer link (for a wallet on this computer)",
    "web_wallet_help": "No wallet app? The phone camera opens the city's web wallet with this code.",
    "web_wallet_qr_title": "Web wallet link QR code",
    "print_paper_card": "Print paper card",
    "paper_card_help": "For a resident without a phone: a printed residency card and its revocation receipt.",
    "next_resident": "Next resident",
    "card_title": "Residency card",
    "card_screen_intro": (
        "Print this page and hand both parts to the resident. A paper card is weaker than the phone "
        "credential: whoever holds it can show it, and it has no name or photo. Each service decides "
        "whether it accepts paper cards."
    ),
    "print": "Print",
    "card_heading": "{city} residency card",
    "card_resident_of": "Resident of {city}",
    "card_age_over": "{age} or older",
    "yes": "yes",
    "no": "no",
    "card_valid_until": "Valid until {date}",
    "card_scan_note": "Services scan this code to check the card. It carries no name.",
    "card_qr_title": "Residency card QR code",
    "receipt_title": "Revocation receipt",
    "receipt_help": (
        "Keep this part apart from the card. If the card is lost or stolen, bring this receipt "
        "to any city desk, or send its text, to have the card cancelled."
    ),
    "receipt_qr_title": "Revocation receipt QR code",
    "cut_here": "cut here",
    "forbidden_title": "Request refused",
    "forbidden_text": "A security check failed. Go back, reload the page and try again.",
    "error_title": "Something went wrong",
    "error_text": "The credential could not be made. Nothing was saved. Try again, or call support.",
    "admin_link": "Administration",
    "admin_title": "Desk administration",
    "admin_counts": "Events per hour (last 48 hours)",
    "admin_counts_none": "No events yet.",
    "admin_hour": "Hour (UTC)",
    "admin_office": "Office",
    "admin_event": "Event",
    "admin_count": "Count",
    "event_offer_created": "credential offers made",
    "event_paper_card_printed": "paper cards printed",
    "event_login_failed": "failed sign-ins",
    "admin_accounts": "Desk accounts",
    "admin_role": "Role",
    "admin_state": "State",
    "admin_locked_until": "locked until {time}",
    "admin_active": "active",
    "admin_unlock": "Unlock",
    "admin_accounts_help": "Add or remove accounts with citykey issuer clerk add / remove.",
    "back": "Back",
}

ES: dict[str, str] = {
    "html_lang": "es",
    "language_name": "Español",
    "app_title": "Mostrador de identificación municipal",
    "skip_to_content": "Ir al contenido",
    "signed_in_as": "Sesión iniciada como {name}",
    "sign_out": "Cerrar sesión",
    "login_title": "Acceso del personal",
    "login_intro": "Inicie sesión con su cuenta de mostrador.",
    "name": "Nombre de usuario",
    "password": "Contraseña",
    "sign_in": "Entrar",
    "login_refused": (
        "Acceso denegado. Compruebe el nombre y la contraseña. Tras 5 intentos fallidos seguidos "
        "la cuenta queda bloqueada durante 15 minutos."
    ),
    "session_ended": "Su sesión ha terminado. Vuelva a iniciar sesión.",
    "signed_out": "Ha cerrado la sesión.",
    "enrol_title": "Nueva credencial de residente",
    "enrol_intro": "Escriba los datos que ha comprobado en los documentos del residente.",
    "given_name": "Nombre(s)",
    "family_name": "Apellido(s)",
    "birthdate": "Fecha de nacimiento",
    "birthdate_hint": "Año-mes-día, por ejemplo 1961-04-23.",
    "address_legend": "Domicilio (opcional)",
    "street_address": "Calle y número",
    "locality": "Localidad",
    "postal_code": "Código postal",
    "resident_of": "Residente de",
    "use_tx_code": "Añadir un código que el residente debe teclear en la cartera (si otros pueden ver esta pantalla)",
    "create_offer": "Crear oferta de credencial (teléfono)",
    "paper_card_only": "Solo tarjeta en papel (sin teléfono)",
    "form_has_errors": "Corrija los campos señalados abajo.",
    "err_required": "Este campo es obligatorio.",
    "err_date": "Introduzca una fecha válida como año-mes-día (AAAA-MM-DD).",
    "err_date_future": "La fecha de nacimiento no puede ser futura.",
    "err_date_old": "La fecha de nacimiento no puede ser anterior a 1900.",
    "err_too_long": "Este campo es demasiado largo (máximo {max} caracteres).",
    "err_characters": "Este campo contiene caracteres no permitidos.",
    "err_refused": "Los datos fueron rechazados. Revíselos e inténtelo de nuevo.",
    "offer_title": "Escanear con la cartera del residente",
    "offer_help": (
        "Pida al residente que abra la app de cartera municipal y escanee este código. "
        "Funciona una sola vez y solo hasta que caduque."
    ),
    "offer_qr_title": "Código QR de la oferta de credencial",
    "tx_code_label": "Código que el residente teclea en la cartera",
    "tx_code_help": "Dígale este código al residente; que nadie más lo vea.",
    "expires_at": "Caduca a las {time}",
    "time_left": "Tiempo restante",
    "expired": "Esta oferta ha caducado. Cree una nueva.",
    "offer_link": "Enlace de la oferta (para una cartera en este ordenador)",
    "web_wallet_help": "¿Sin app de cartera? La cámara del teléfono abre con este código la cartera web de la ciudad.",
    "web_wallet_qr_title": "Código QR del enlace a la cartera web",
    "print_paper_card": "Imprimir tarjeta en papel",
    "paper_card_help": "Para un residente sin teléfono: una tarjeta de residencia impresa y su recibo de revocación.",
    "next_resident": "Siguiente residente",
    "card_title": "Tarjeta de residencia",
    "card_screen_intro": (
        "Imprima esta página y entregue ambas partes al residente. Una tarjeta en papel es más débil "
        "que la credencial del teléfono: quien la tenga puede mostrarla, y no lleva nombre ni foto. "
        "Cada servicio decide si acepta tarjetas en papel."
    ),
    "print": "Imprimir",
    "card_heading": "Tarjeta de residencia de {city}",
    "card_resident_of": "Residente de {city}",
    "card_age_over": "{age} años o más",
    "yes": "sí",
    "no": "no",
    "card_valid_until": "Válida hasta el {date}",
    "card_scan_note": "Los servicios escanean este código para comprobar la tarjeta. No lleva nombre.",
    "card_qr_title": "Código QR de la tarjeta de residencia",
    "receipt_title": "Recibo de revocación",
    "receipt_help": (
        "Guarde esta parte separada de la tarjeta. Si pierde la tarjeta o se la roban, lleve este recibo "
        "a cualquier mostrador municipal, o envíe su texto, para anular la tarjeta."
    ),
    "receipt_qr_title": "Código QR del recibo de revocación",
    "cut_here": "cortar aquí",
    "forbidden_title": "Solicitud rechazada",
    "forbidden_text": "Falló una comprobación de seguridad. Vuelva atrás, recargue la página e inténtelo de nuevo.",
    "error_title": "Algo ha fallado",
    "error_text": "No se pudo crear la credencial. No se guardó nada. Inténtelo de nuevo o llame a soporte.",
    "admin_link": "Administración",
    "admin_title": "Administración del mostrador",
    "admin_counts": "Eventos por hora (últimas 48 horas)",
    "admin_counts_none": "Aún no hay eventos.",
    "admin_hour": "Hora (UTC)",
    "admin_office": "Oficina",
    "admin_event": "Evento",
    "admin_count": "Cantidad",
    "event_offer_created": "ofertas de credencial creadas",
    "event_paper_card_printed": "tarjetas en papel impresas",
    "event_login_failed": "accesos fallidos",
    "admin_accounts": "Cuentas del mostrador",
    "admin_role": "Rol",
    "admin_state": "Estado",
    "admin_locked_until": "bloqueada hasta las {time}",
    "admin_active": "activa",
    "admin_unlock": "Desbloquear",
    "admin_accounts_help": "Añada o elimine cuentas con citykey issuer clerk add / remove.",
    "back": "Volver",
}

LANGUAGES: dict[str, dict[str, str]] = {"en": EN, "es": ES}


@dataclass(frozen=True, slots=True)
class Messages:
    lang: str
    strings: Mapping[str, str]

    def __call__(self, key: str, **fields: object) -> str:
        text = self.strings[key]
        return text.format(**fields) if fields else text


def messages(lang: str) -> Messages:
    lang = lang if lang in LANGUAGES else DEFAULT
    return Messages(lang, LANGUAGES[lang])


def from_accept_language(header: str | None) -> str:
    """The supported language the browser prefers most (q-values honoured), else English."""
    best, best_q = DEFAULT, -1.0
    for position, item in enumerate((header or "").split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        q -= position * 1e-6  # earlier wins among equals
        if primary in LANGUAGES and q > 0 and q > best_q:
            best, best_q = primary, q
    return best


def choose(cookie: str | None, accept_language: str | None) -> str:
    if cookie is not None and cookie in LANGUAGES:
        return cookie
    return from_accept_language(accept_language)
